/*
 * Berkeley DB's shared regions (the <home>/__db.NNN files that every
 * process of an environment maps) in huge pages.
 *
 * The regions are mapped MAP_SHARED from files in the data home, so the
 * kernel's writeback cleans their dirty pages every half minute or so and
 * write-protects them: the next write to each 4 KiB page (every lookup
 * writes a latch and a buffer header) takes a page fault through the file
 * system's page_mkwrite.  make bench counted 61,314 faults in 4 s of GET
 * /Users/{id} (0.86 per request, ~7% of the worker's CPU), and the random
 * pages of a large cache cost a TLB miss each.  In 2 MiB folios (the page
 * cache of XFS, and of ext4 since Linux 6.16) one fault and one TLB entry
 * cover 512 times as much: 114 faults in the same 4 s.
 *
 * Berkeley DB maps a region at its largest size but grows the file only
 * as the region fills, one byte written at the new end at a time, so the
 * page cache never finds a whole 2 MiB range inside the file and keeps to
 * small folios.  region_hugepages() therefore grows each region file but
 * the primary (__db.001, whose size joining processes compare with the
 * region's) to the length of its mapping -- Berkeley DB's own growth then
 * writes its zero byte inside the file, into space no allocation uses yet
 * -- and asks for huge pages (MADV_HUGEPAGE) on every region mapping of
 * this process.  Pages already in the page cache keep their size; what
 * the cache reads in later comes in huge folios.  Where the kernel or the
 * file system cannot, nothing changes.  Region files hold no data (an
 * environment's are re-created at will), and a file is only ever grown.
 *
 * Owns: the region files' size and madvise.  Must not know: databases,
 * transactions, anything inside the regions.
 */
#ifndef SCIM_REGION_H
#define SCIM_REGION_H

/* For the regions of the environment in home that this process maps. */
void	 region_hugepages(const char *home);

#endif
