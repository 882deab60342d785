"""make bench's scenarios: what each is, which program serves it, how they pair.

OWNS the scenario table and the names BENCH_ONLY accepts.  MUST NOT KNOW
how a scenario is run (benchload) or judged (run-bench.py).
"""

# key, label in the table, the request
SCENARIOS = [
    ("null", "null responder", "GET /bench/null"),
    ("get_id", "GET /Users/{id}", "GET /Users/{id}, paired A B B A with the next"),
    ("null_get", "  null responder, paired", "GET /bench/null?id={id}, in turns with GET "
     "/Users/{id} (its ceiling for the GET's target, measured in the same minutes); wrk "
     "picks the id at random from the same file, so that the client does the same work "
     "for both"),
    ("null_sized", "  null responder, same body size",
     "GET /bench/null?bytes=N, N = the size of a GET /Users/{id} body: what moving "
     "that response costs the stack"),
    ("filter", "GET /Users?filter=userName eq", 'GET /Users?filter=userName eq "..."'),
    ("filter_small", "  same, on the 1,000-user store",
     'GET /Users?filter=userName eq "..." on a store of 1,000 users'),
    ("page", "GET /Users?startIndex&count=100",
     "GET /Users?startIndex=N&count=100, N at random over the whole store"),
    ("page_small", "  same, on the 1,000-user store",
     "GET /Users?startIndex=N&count=100 on a store of 1,000 users"),
    ("cursor", "GET /Users?cursor=...&count=100",
     "an RFC 9865 cursor walk: GET /Users?count=100&cursor= the last page's nextCursor "
     "(per wrk thread), from an empty cursor again after the last page"),
    ("cursor_small", "  same, on the 1,000-user store",
     "the cursor walk on a store of 1,000 users"),
    ("group_get", "GET /Groups/{id}?excl.=members",
     "GET /Groups/{id}?excludedAttributes=members (the 100k group)"),
    ("gate_basic", "static page, basic auth alone",
     "GET a static page behind lighttpd's basic authentication (plain user file), "
     "the access gate's stack without a gate"),
    ("gate_null", "  + do-nothing FastCGI authorizer",
     "the same page behind basic authentication and the null responder as a FastCGI "
     "authorizer: the ceiling of any authorizer"),
    ("gate_authz", "  + scim-authz (the access gate)",
     "the same page behind basic authentication and scim-authz: a user of the big "
     "store, active, in the mapped 100k group"),
    ("act_get_on", "GET /Users/{id}, activity on",
     "GET /Users/{id} with the activity recorder on (the default), paired A B B A "
     "with the next scenario; with the reads, before any write (a read pair "
     "measured after the writes saw their checkpoints, on one side more than the other)"),
    ("act_get_off", "  same, activity off",
     "GET /Users/{id} on the same store through a second lighttpd whose scim.conf "
     "says [activity] enabled = no"),
    ("post", "POST /Users (durable)", "POST /Users, sync = full"),
    ("sync", "Manual User Sync (users/s)",
     "scimctl graph sync of one BENCH_SYNC_USERS-user (10,000) Entra group from the Graph "
     "stand-in (tests/sync/graph_standin.py) into a fresh tenant of the big store, "
     "sync = full: users per second, wall clock, Graph reads included"),
    ("patch_user", "PATCH /Users/{id} (2 replaces)",
     "PATCH /Users/{id}, replace title and name.familyName"),
    ("patch_group", "PATCH /Groups/{id} add 1 member",
     "PATCH /Groups/{id}, add one member to the 100k group"),
    ("act_post_on", "POST /Users (durable), activity on",
     "POST /Users, sync = full, activity recorder on, paired with the next"),
    ("act_post_off", "  same, activity off", "POST /Users, activity recorder off"),
    ("null_end", "null responder (again)", "GET /bench/null"),
]
LABELS = {k: label.strip() for k, label, _ in SCENARIOS}
# Which FastCGI program serves a scenario.
PROGRAM = {"null": "null-responder", "null_end": "null-responder", "sync": "scimctl",
           "null_get": "null-responder",
           "null_sized": "null-responder", "gate_basic": "-", "gate_null": "null-responder",
           "gate_authz": "scim-authz",
           "group_get": "scim-groups", "patch_group": "scim-groups"}
# BENCH_ONLY names that stand for several scenarios.
ONLY_GROUPS = {"gate": ("gate_basic", "gate_null", "gate_authz"),
               "activity": ("act_get_on", "act_get_off", "act_post_on",
                            "act_post_off"),
               "paging": ("get_id", "page", "page_small", "cursor", "cursor_small"),
               "get": ("get_id", "null_get")}
# The activity pairs: the "on" scenario runs with its "off" twin.
ACTIVITY_PAIRS = {"act_get_on": ("act_get_off", "get_id"),
                  "act_post_on": ("act_post_off", "post")}
# Scenarios run as a pair with their twin on the 1,000-user store.
SMALL_TWIN = {"filter": "filter_small", "page": "page_small", "cursor": "cursor_small"}
# Every pair, measured A B B A: the first scenario -> its twin, which runs
# with it and not on its own.
TWIN = dict(SMALL_TWIN, get_id="null_get", gate_null="gate_authz",
            **{k: v[0] for k, v in ACTIVITY_PAIRS.items()})
# The gate scenarios' basic authentication (a plain user file: the cost of
# checking a password must not hide the authorizer's).
GATE_PASSWORD = "bench"
# Functions whose inclusive share of the worker's CPU samples is reported.
PROFILE_FUNCS = [
    "service_serve", "FCGX_Accept_r", "http_req_read", "token_check", "token_check_txn",
    "crud_get", "crud_list", "store_page_ids", "store_scan_after", "crud_read_one",
    "members_read_backref", "page_add_answer",
    "crud_create", "crud_patch", "load_backref", "store_scan", "store_get",
    "store_put", "cJSON_ParseWithLengthOpts", "resource_render", "resource_normalize",
    "filter_match", "http_resp_send", "__txn_commit", "__os_fsync", "__memp_pgread",
    "_int_malloc", "malloc_consolidate",
]


# The bearer check, wherever it runs: before the handler (token_check,
# token_check_start), inside the handler's transaction (token_check_txn),
# after it (token_check_finish, token_touch).  Its share is that of the
# samples with any of them on the stack.
AUTH_FUNCS = {"token_check", "token_check_start", "token_check_txn",
              "token_check_finish", "token_touch"}
