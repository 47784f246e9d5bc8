# SPDX-License-Identifier: GPL-2.0-only
"""registerWebHandler's WebRequest and WebResponse objects (issue 20), and
setWebserverConfig's customHeaders: a header with an empty value removes a default one."""

from webtest import API_KEY, new_web_address, request, wait_web, web_lua

HANDLER = """
registerWebHandler("/objects", function(req, resp)
  local h = resp.headers            -- a copy, as in dnsdist
  h["X-Ignored"] = "1"
  req.path = "/changed"             -- request fields are read only
  resp.status = 201
  resp.headers = {["X-Kind"] = type(req) .. "/" .. type(resp), ["Content-Type"] = "text/plain"}
  resp.body = table.concat({req.method, req.path, tostring(req.version), req.body,
                            req.getvars["g"] or "-", req.postvars["a"] or "-",
                            req.postvars["b"] or "-", req.headers["x-test"] or "-",
                            tostring(resp.status)}, "|")
end)
registerWebHandler("/badfield", function(req, resp) resp.nothing = 1 end)
registerWebHandler("/badstatus", function(req, resp) resp.status = 42 end)
"""


def start(start_ballast, backends, config=""):
    web = new_web_address()
    start_ballast(servers=[backends()], lua=web_lua(web, config, False) + HANDLER)
    wait_web(web)
    return web


def test_request_and_response_objects(start_ballast, backends):
    web = start(start_ballast, backends)
    status, headers, body = request(
        web, "/objects?g=x%20y", method="POST", key=API_KEY, body="a=1&b=two%21",
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Test": "hdr"})
    assert status == 201
    assert body == b"POST|/objects|11|a=1&b=two%21|x y|1|two!|hdr|201"
    assert headers["x-kind"] == "userdata/userdata"
    assert "x-ignored" not in headers
    # Not a form: no postvars.
    _, _, body = request(web, "/objects", method="POST", key=API_KEY, body="a=1",
                         headers={"Content-Type": "text/plain"})
    assert body.split(b"|")[5:7] == [b"-", b"-"]
    assert request(web, "/badfield", key=API_KEY)[0] == 500
    assert request(web, "/badstatus", key=API_KEY)[0] == 500


def test_custom_headers_add_replace_and_remove(start_ballast, backends):
    web = start(start_ballast, backends, config=(
        'customHeaders={["X-Custom"]="yes", ["X-Frame-Options"]="", '
        '["Content-Security-Policy"]="default-src \'none\'"}'))
    for path in ("/objects", "/api/v1/servers/localhost"):
        _, headers, _ = request(web, path, key=API_KEY)
        assert headers["x-custom"] == "yes"
        assert "x-frame-options" not in headers  # an empty value removes the default
        assert headers["content-security-policy"] == "default-src 'none'"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-xss-protection"] == "1; mode=block"
        assert headers["x-permitted-cross-domain-policies"] == "none"
