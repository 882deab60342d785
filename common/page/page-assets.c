/*
 * The admin page's one inline style and one inline script, its icon, and
 * the Content-Security-Policy that allows exactly these two by their
 * SHA-256 hashes (and images, the icon, from the page's own origin): no
 * other source, no framing, forms posting only to the page.  Change
 * either string and the policy follows on its own.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <nettle/base64.h>
#include <nettle/sha2.h>

#include "page/page-int.h"

const char page_style[] =
"*{box-sizing:border-box}"
"body{margin:0;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,"
"sans-serif;color:#1f2933;background:#f4f6f8}"
".wrap{max-width:1180px;margin:0 auto;padding:0 20px}"
"header.top{background:#1f3a5f;color:#fff;padding:12px 0}"
"header.top .wrap{display:flex;align-items:center;gap:12px;flex-wrap:wrap}"
".brand{font-weight:600;letter-spacing:.3px}"
".brand small{font-weight:400;opacity:.75}"
".who{margin-left:auto;font-size:14px;opacity:.95}"
".who form{display:inline;margin-left:8px}"
"main.wrap{padding-top:28px;padding-bottom:40px}"
"h1{font-size:22px;margin:0 0 18px}"
"h2{font-size:17px;margin:0 0 10px}"
".card{background:#fff;border:1px solid #d9e0e7;border-radius:8px;"
"padding:18px 20px;margin:0 0 18px}"
".muted{color:#5b6b7b;font-size:14px}"
".copyrow{display:flex;gap:8px}"
".copyrow input{flex:1;font:14px ui-monospace,SFMono-Regular,Menlo,"
"Consolas,monospace;padding:8px 10px;border:1px solid #b8c4d0;"
"border-radius:6px;background:#f8fafc}"
"button,select,input[type=text],input[type=password]{font:inherit;"
"font-size:14px}"
"select{padding:5px 8px;border:1px solid #9fb0c2;border-radius:6px;"
"background:#fff}"
"button{padding:6px 12px;border-radius:6px;border:1px solid #9fb0c2;"
"background:#fff;color:#1f2933;cursor:pointer}"
"button:hover{background:#eef2f6}"
"button.primary{background:#1f6feb;border-color:#1f6feb;color:#fff}"
"button.primary:hover{background:#1a5fcc}"
"button.danger{color:#b42318;border-color:#e4a9a3}"
"button.danger.solid{background:#b42318;border-color:#b42318;color:#fff}"
"button.danger.solid:hover{background:#912018}"
".confirm{max-width:720px;border-color:#f3b0a8}"
"button.link{background:none;border:none;color:#fff;"
"text-decoration:underline;padding:0}"
"button[disabled]{opacity:.5;cursor:not-allowed}"
"table{width:100%;border-collapse:collapse;font-size:14px}"
"th,td{text-align:left;padding:8px 8px;border-bottom:1px solid #e6ebf0;"
"vertical-align:top}"
"th{font-size:12px;text-transform:uppercase;letter-spacing:.4px;"
"color:#5b6b7b}"
"td.t,.nw{white-space:nowrap}"
"td.id,code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"
"monospace;font-size:13px}"
"td.actions{min-width:300px}"
".scroll{overflow-x:auto}"
"td.actions form{display:flex;flex-wrap:wrap;gap:6px;align-items:center}"
".badge{display:inline-block;padding:1px 8px;border-radius:10px;"
"font-size:12px;font-weight:600}"
".b-active{background:#dcfce7;color:#166534}"
".b-inactive{background:#fef3c7;color:#92400e}"
".b-expired{background:#fee2e2;color:#991b1b}"
".b-revoked{background:#e5e7eb;color:#374151}"
".banner{border-radius:8px;padding:12px 16px;margin:0 0 14px;"
"border:1px solid}"
".warn{background:#fffbeb;border-color:#f5d37a}"
".bad{background:#fef2f2;border-color:#f3b0a8}"
".ok{background:#f0fdf4;border-color:#9ad9b0}"
".new{border:2px solid #1f6feb;background:#f5f9ff}"
".form-row{display:flex;gap:12px;align-items:flex-end;flex-wrap:wrap}"
".form-row label{display:flex;flex-direction:column;font-size:13px;"
"color:#3e4c59;gap:4px}"
".form-row input[type=text],.form-row input[type=password],"
".form-row input[type=search]{padding:6px 10px;border:1px solid #b8c4d0;"
"border-radius:6px;min-width:260px}"
"progress{width:100%;height:14px}"
"a.button{display:inline-block;padding:6px 14px;border:1px solid #b8c4d0;"
"border-radius:6px;color:#1f2933;text-decoration:none;font-size:14px}"
".login{max-width:380px;margin:60px auto}"
".login label{display:block;font-size:13px;color:#3e4c59;margin:10px 0 4px}"
".login input{width:100%;padding:8px 10px;border:1px solid #b8c4d0;"
"border-radius:6px}"
".login button{margin-top:16px;width:100%}"
".form-row input[type=date]{padding:5px 8px;border:1px solid #b8c4d0;"
"border-radius:6px;font:inherit;font-size:14px}"
".form-row a{padding:6px 2px;font-size:14px;color:#1f6feb}"
".pager a{font-size:14px;color:#1f6feb}"
".pager{display:flex;gap:18px;justify-content:flex-end;margin:12px 0 0}"
".filters{margin:0 0 14px}"
".b-failure{background:#fee2e2;color:#991b1b}"
".b-success{background:#dcfce7;color:#166534}"
"td.d{color:#3e4c59;font-size:13px;max-width:380px;overflow-wrap:anywhere}"
"footer{color:#7b8794;font-size:12px;text-align:center;padding:10px 0 30px}"
".urlwarn{margin:10px 0 0}"
".tabs{display:flex;flex-wrap:wrap;gap:4px;margin:0 0 18px;"
"border-bottom:1px solid #d9e0e7}"
".tabs a{padding:8px 14px;color:#1f3a5f;text-decoration:none;"
"border:1px solid transparent;border-radius:6px 6px 0 0;margin-bottom:-1px}"
".tabs a:hover{background:#eef2f6}"
".tabs a[aria-current]{background:#fff;border-color:#d9e0e7;"
"border-bottom-color:#fff;font-weight:600}"
"form.inline,td.actions form.inline{display:inline-flex;"
"margin:0 4px 4px 0}"
"input[type=number]{font:inherit;font-size:14px;padding:5px 8px;"
"border:1px solid #b8c4d0;border-radius:6px;width:110px}"
".facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;"
"margin:0}"
".facts dt{color:#5b6b7b;font-size:13px}"
".facts dd{margin:0;overflow-wrap:anywhere}"
"#members{columns:2 260px;padding-left:18px}"
"td a,#members a{color:#1f6feb}"
/*
 * A phone (390 px): the token table, 970 px wide, becomes one card per
 * token, each cell a line with its column's name (data-label) before it,
 * and the actions full width, so that nothing scrolls sideways and every
 * button shows its label.  An event of the audit log flows on a few lines
 * (time, type, actor, target, outcome), its details below.
 */
"@media (max-width:720px){"
".wrap{padding:0 12px}"
".card{padding:14px 12px}"
".who{margin-left:0}"
".scroll{overflow-x:visible}"
"#tokens thead{display:none}"
"#tokens,#tokens tbody,#tokens tr,#tokens td{display:block;width:100%}"
"#tokens tr{border:1px solid #d9e0e7;border-radius:8px;margin:0 0 12px;"
"padding:6px 10px}"
"#tokens td{border:none;padding:3px 0;overflow-wrap:anywhere;display:flex;"
"flex-wrap:wrap;column-gap:6px;align-items:baseline}"
"#tokens td[data-label]::before{content:attr(data-label);flex:0 0 96px;"
"font-size:11px;text-transform:uppercase;letter-spacing:.4px;"
"color:#5b6b7b}"
"#tokens td.actions{display:block}"
"#tokens td.actions::before{display:block;margin:0 0 4px}"
"#tokens td.actions{min-width:0;padding-top:8px}"
"#tokens td.actions select{flex:1 1 100%}"
"#tokens td.actions button{flex:1 1 auto}"
".form-row input[type=text],.form-row input[type=password],"
".form-row input[type=search]{min-width:0;width:100%}"
".form-row label{flex:1 1 100%}"
"#events thead{display:none}"
"#events,#events tbody,#events tr{display:block;width:100%}"
"#events tr{border-bottom:1px solid #e6ebf0;padding:6px 0}"
"#events td{display:inline-block;border:none;padding:1px 8px 1px 0;"
"max-width:100%;overflow-wrap:anywhere}"
"#events td.d{display:block;max-width:none}"
".copyrow{flex-wrap:wrap}"
".copyrow input{min-width:0}"
".tabs a{padding:6px 10px}"
".cards thead{display:none}"
".cards,.cards tbody,.cards tr{display:block;width:100%}"
".cards tr{border:1px solid #d9e0e7;border-radius:8px;margin:0 0 10px;"
"padding:6px 10px}"
".cards td{display:block;border:none;padding:2px 0;overflow-wrap:anywhere}"
".cards td[data-label]::before{content:attr(data-label);display:inline-block;"
"width:96px;margin-right:6px;vertical-align:baseline;"
"font-size:11px;text-transform:uppercase;letter-spacing:.4px;"
"color:#5b6b7b}"
".cards td.actions{display:block}"
".facts{grid-template-columns:1fr}"
".facts dd{margin:0 0 6px}"
"pre.json{white-space:pre-wrap;overflow-wrap:anywhere}"
"}";

/* A 32x32 key on the top bar's blue: an ICO holding one PNG. */
const unsigned char page_icon[] = {
	0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x20, 0x20, 0x00, 0x00, 0x01, 0x00,
	0x20, 0x00, 0xba, 0x00, 0x00, 0x00, 0x16, 0x00, 0x00, 0x00, 0x89, 0x50,
	0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
	0x44, 0x52, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x20, 0x08, 0x06,
	0x00, 0x00, 0x00, 0x73, 0x7a, 0x7a, 0xf4, 0x00, 0x00, 0x00, 0x81, 0x49,
	0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x60, 0x40, 0x03, 0xf2, 0x56, 0xf1,
	0xff, 0x69, 0x89, 0x19, 0x70, 0x01, 0x5a, 0x5b, 0x8c, 0xd7, 0x21, 0xf4,
	0xb6, 0x1c, 0xc3, 0x11, 0x03, 0xea, 0x80, 0x81, 0xb2, 0x1c, 0xee, 0x88,
	0x51, 0x07, 0x8c, 0x3a, 0x80, 0x90, 0x02, 0x5c, 0x80, 0x2e, 0x0e, 0x20,
	0x04, 0x68, 0xea, 0x00, 0x62, 0x01, 0x4d, 0x1c, 0x40, 0x2a, 0xa0, 0xaa,
	0x03, 0x88, 0xb1, 0x80, 0x9a, 0x8e, 0x20, 0xe8, 0x00, 0x4a, 0xa3, 0x88,
	0x90, 0x59, 0xa3, 0x0e, 0x18, 0xfc, 0x0e, 0x20, 0x27, 0x11, 0xa2, 0x8b,
	0x93, 0xe4, 0x00, 0x6a, 0x64, 0x43, 0x8a, 0x1d, 0x40, 0x69, 0x41, 0x44,
	0x15, 0x07, 0x50, 0x52, 0x14, 0x93, 0x52, 0x3e, 0x0c, 0xee, 0xca, 0x68,
	0xb4, 0x3d, 0x30, 0xea, 0x80, 0x61, 0xdf, 0x37, 0x18, 0x3c, 0x5d, 0xb3,
	0x01, 0xef, 0x9c, 0x0e, 0x64, 0xf7, 0x1c, 0x00, 0xcb, 0x1f, 0x39, 0x93,
	0xa9, 0x46, 0x95, 0xf4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44,
	0xae, 0x42, 0x60, 0x82,

};
const size_t page_icon_len = sizeof(page_icon);

const char page_script[] =
"document.querySelectorAll('button[data-copy]').forEach(function(b){"
"b.hidden=false;"
"b.addEventListener('click',function(){"
"var f=document.getElementById(b.getAttribute('data-copy'));"
"var done=function(){b.textContent='Copied';};"
"f.select();"
"if(navigator.clipboard){navigator.clipboard.writeText(f.value)"
".then(done,function(){document.execCommand('copy');done();});}"
"else{document.execCommand('copy');done();}"
"});});";

/* 'sha256-<base64>' of text into out (at least 60 bytes). */
static void
csp_hash(const char *text, char *out)
{
	struct sha256_ctx	 sh;
	uint8_t			 d[SHA256_DIGEST_SIZE];
	char			 b64[BASE64_ENCODE_RAW_LENGTH(SHA256_DIGEST_SIZE)
				    + 1];

	sha256_init(&sh);
	sha256_update(&sh, strlen(text), (const uint8_t *)text);
	sha256_digest(&sh, sizeof(d), d);
	base64_encode_raw(b64, sizeof(d), d);
	b64[sizeof(b64) - 1] = '\0';
	snprintf(out, 64, "'sha256-%s'", b64);
}

const char *
page_csp(void)
{
	static char	 csp[512];
	char		 sh[64], jh[64];

	if (csp[0] == '\0') {
		csp_hash(page_style, sh);
		csp_hash(page_script, jh);
		snprintf(csp, sizeof(csp), "default-src 'none'; style-src %s; "
		    "script-src %s; img-src 'self'; form-action 'self'; "
		    "frame-ancestors 'none'; base-uri 'none'", sh, jh);
	}
	return csp;
}
