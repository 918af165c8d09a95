"""A test client that speaks JSON and carries a bearer token."""


class ApiClient:
    def __init__(self, flask_client, token: str | None = None, user=None):
        self.flask = flask_client
        self.token = token
        self.user = user

    def as_user(self, user, token: str) -> "ApiClient":
        return ApiClient(self.flask, token=token, user=user)

    def _headers(self, headers):
        merged = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        merged.update(headers or {})
        return merged

    def get(self, path, headers=None, **kw):
        return self.flask.get(path, headers=self._headers(headers), **kw)

    def delete(self, path, headers=None, **kw):
        return self.flask.delete(path, headers=self._headers(headers), **kw)

    def _body(self, json, kw) -> dict:
        """A JSON body as many clients send it, non-ASCII escaped (\\uXXXX): answers come back as
        UTF-8, and only an escape can carry a lone surrogate, which the hostile-input tests send."""
        if json is not None:
            kw["data"] = self.flask.application.json.dumps(json, ensure_ascii=True)
            kw.setdefault("content_type", "application/json")
        return kw

    def post(self, path, json=None, headers=None, **kw):
        return self.flask.post(path, headers=self._headers(headers), **self._body(json, kw))

    def put(self, path, json=None, headers=None, **kw):
        return self.flask.put(path, headers=self._headers(headers), **self._body(json, kw))

    def patch(self, path, json=None, headers=None, **kw):
        return self.flask.patch(path, headers=self._headers(headers), **self._body(json, kw))
