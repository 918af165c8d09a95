"""One per-account login key for the API's token endpoint and the workbench's sign-in form."""

from core.ratelimit import account_key


def test_the_api_login_is_keyed_by_the_json_bodys_account_and_the_client(app):
    with app.test_request_context("/api/v1/auth/token", method="POST", json={"email": " Wang.Fang@Example.com "},
                                  environ_base={"REMOTE_ADDR": "203.0.113.7"}):
        assert account_key() == "account:wang.fang@example.com|203.0.113.7"


def test_the_sign_in_form_is_keyed_the_same_way(app):
    with app.test_request_context("/sign-in", method="POST", data={"email": "Wang.Fang@Example.com"},
                                  environ_base={"REMOTE_ADDR": "203.0.113.7"}):
        assert account_key() == "account:wang.fang@example.com|203.0.113.7"
