"""A real OpenID provider for the single sign-on tests: oidc-provider-mock, over HTTP on a free port.

It signs real ID tokens with its own key, publishes its discovery document and
keys, and refuses a login request without a nonce. It would accept a token
request without PKCE, so a thin layer in front of it refuses any token request
whose code_verifier does not match the S256 code_challenge its code was issued
for (RFC 7636): a login that passes has done PKCE.
"""

import base64
import hashlib
import io
import threading
from urllib.parse import parse_qsl, urlsplit

import oidc_provider_mock
import pytest
import requests
import werkzeug.serving


class PkceRequired:
    def __init__(self, app):
        self.app = app
        self.challenges = {}

    def __call__(self, environ, start_response):
        path = environ["PATH_INFO"]
        if path == "/oauth2/token":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            form = dict(parse_qsl(body.decode()))
            challenge = self.challenges.pop(form.get("code"), None)
            verifier = form.get("code_verifier", "").encode()
            made = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
            if challenge is None or made != challenge:
                start_response("400 Bad Request", [("Content-Type", "application/json")])
                return [b'{"error": "invalid_grant", "error_description": "PKCE verifier does not match"}']
        if path == "/oauth2/authorize":
            query = dict(parse_qsl(environ.get("QUERY_STRING", "")))

            def remember_challenge(status, headers, exc_info=None):
                code = dict(parse_qsl(urlsplit(dict(headers).get("Location", "")).query)).get("code")
                if code and query.get("code_challenge_method") == "S256":
                    self.challenges[code] = query.get("code_challenge")
                return start_response(status, headers, exc_info)

            return self.app(environ, remember_challenge)
        return self.app(environ, start_response)


class Provider:
    """One running provider: its issuer, and the people it knows (``person``)."""

    def __init__(self, server):
        self.server = server
        self.issuer = f"http://localhost:{server.server_port}"

    def person(self, sub, **claims):
        requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=5).raise_for_status()

    def config(self, provider_id, name, domains):
        return {
            "id": provider_id,
            "name": name,
            "issuer": self.issuer,
            "client_id": f"samrad-{provider_id}",
            "client_secret": "s3cret",
            "scopes": "openid email profile",
            "email_domains": domains,
        }


@pytest.fixture
def oidc_provider():
    """Start providers on free ports: ``oidc_provider()`` gives one more; all stop when the test ends."""
    servers = []

    def start():
        app = PkceRequired(oidc_provider_mock.app(require_nonce=True))
        server = werkzeug.serving.make_server("localhost", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return Provider(server)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
