/*
 * The admin page's one inline style and one inline script, and the
 * Content-Security-Policy that allows exactly these two by their SHA-256
 * hashes: no other source, no framing, forms posting only to the page.
 * Change either string and the policy follows on its own.
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
".form-row input[type=text]{padding:6px 10px;border:1px solid #b8c4d0;"
"border-radius:6px;min-width:260px}"
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
"footer{color:#7b8794;font-size:12px;text-align:center;padding:10px 0 30px}";

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
