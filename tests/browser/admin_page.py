"""Set-up for the browser test of the token page (browsertest.run): a
token three days from expiry, for the banner; then tests/browser/
admin_page.js drives Chromium against it and prints TAP."""

import browsertest

NAME = "alice"
PASSWORD = "correct horse battery staple"


def prepare(srv):
    near = srv.tokens_cmd("create", "--label", "Entra ID staging",
                          "--expires-in-seconds", str(3 * 86400)).stdout.strip()
    return {"NEAR_ID": near.split("_")[1]}


if __name__ == "__main__":
    browsertest.run("admin_page.js", NAME, PASSWORD, "alice@example.com", prepare)
