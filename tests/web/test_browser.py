"""The workbench in a real headless Chromium: a doctor signs a prescription, a pharmacist claims,
approves and dispenses; CSRF refusal; a patient kept off staff pages; the review screen by keyboard.
Each page is photographed into test-output/screenshots/ for a reviewer."""

import itertools
import os
import shutil

import pytest
from sqlalchemy import update

from tests.web.live import SCREENSHOTS, LiveServer, browser_missing, new_browser

pytestmark = [
    pytest.mark.skipif(browser_missing() is not None, reason=f"no browser: {browser_missing()}"),
    # The live server runs on an SQLite file of its own whatever DATABASE_URL says: once is enough.
    pytest.mark.skipif(os.environ.get("DATABASE_URL", "").startswith("postgres"),
                       reason="the browser tests run in the SQLite pass (their live server has its own SQLite file)"),
]

WAIT_SECONDS = 10  # the longest a page may take to answer here (two cores shared by many)
_accounts = itertools.count(1)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with LiveServer(tmp_path_factory.mktemp("live") / "rxloop-live.sqlite3") as server:
        yield server


@pytest.fixture
def browser():
    driver, profile = new_browser()
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def shoot(browser, request):
    """`shoot("review")` saves what the browser shows as test-output/screenshots/<test>-<n>-review.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    counter = itertools.count(1)

    def screenshot(name: str):
        browser.save_screenshot(str(SCREENSHOTS / f"{request.node.name}-{next(counter):02d}-{name}.png"))

    return screenshot


# ---- the scene ------------------------------------------------------------------------------

def make_people(live, **patient_fields):
    from tests.factories.identity import make_user

    with live.arrange() as session:
        n = next(_accounts)
        people = {role: make_user(session, role=role, email=f"{role}{n}@browser.test", **(
            patient_fields if role == "patient" else {}))[0] for role in ("patient", "doctor", "pharmacist")}
        return {role: user.email for role, user in people.items()}, {role: user.id for role, user in people.items()}


def waiting_consultation(live, patient_id):
    from consult import consultations
    from core.identity.models import User
    from tests.factories.consult import PRIOR_DIAGNOSIS_EVIDENCE

    with live.arrange() as session:
        consultation = consultations.create(
            session=session, user=session.get(User, patient_id), chief_complaint="Sore throat again",
            symptoms=["sore throat"], is_follow_up=True,
            prior_diagnosis={"code": "J03.9", "display": "Acute tonsillitis"},
            prior_diagnosis_evidence=PRIOR_DIAGNOSIS_EVIDENCE)
        return consultation.id


def paid_order(live, patient_id, prescription_id):
    from core.identity.models import User
    from shop import orders
    from shop.models import Order
    from tests.factories.shop import ADDRESS, add_lot, make_product

    with live.arrange() as session:
        product = make_product(session, "amoxicillin-500mg-cap", pack_size=21, stock=0)
        add_lot(session, product, 3, expiry_days=500, lot_number=f"AMX-LATE-{product.id[-4:]}")
        early = add_lot(session, product, 3, expiry_days=120, lot_number=f"AMX-SOON-{product.id[-4:]}")
        order, _, _ = orders.checkout(session=session, user=session.get(User, patient_id),
                                   idempotency_key=f"browser-{product.id}",
                                   body={"items": [{"product_id": product.id, "quantity": 1,
                                                    "prescription_id": prescription_id}],
                                         "shipping_address": ADDRESS})
        session.execute(update(Order).where(Order.id == order.id).values(status="paid"))
        return order.id, early.lot_number


# ---- the browser's moves ----------------------------------------------------------------------

def wait_for(browser, css):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, WAIT_SECONDS).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))


def find(browser, css):
    from selenium.webdriver.common.by import By

    return browser.find_element(By.CSS_SELECTOR, css)


def sign_in(browser, live, email, shoot=None):
    from tests.factories.identity import PASSWORD

    browser.get(live.url + "/")
    wait_for(browser, "#sign-in")
    if shoot:
        shoot("sign-in")
    find(browser, "input[name=email]").send_keys(email)
    find(browser, "input[name=password]").send_keys(PASSWORD)
    find(browser, "#sign-in").click()
    wait_for(browser, "#sign-out")


def click_and_wait(browser, css, then):
    find(browser, css).click()
    return wait_for(browser, then)


def fill(browser, values: dict):
    from selenium.webdriver.support.ui import Select

    for name, value in values.items():
        field = find(browser, f"[name='{name}']")
        if field.tag_name == "select":
            Select(field).select_by_value(value)
        else:
            field.clear()
            field.send_keys(value)


# ---- the loop ----------------------------------------------------------------------------------

def test_a_doctor_signs_a_pharmacist_approves_and_dispenses_through_the_pages(live, browser, shoot):
    emails, ids = make_people(live)
    consultation_id = waiting_consultation(live, ids["patient"])

    # The doctor accepts the consultation from the inbox, confirms the prior diagnosis and prescribes.
    sign_in(browser, live, emails["doctor"], shoot)
    shoot("doctor-inbox")
    click_and_wait(browser, f"a[href$='/clinic/consultations/{consultation_id}']", "#accept")
    shoot("consultation-waiting")
    click_and_wait(browser, "#accept", "#confirm-prior-diagnosis")
    click_and_wait(browser, "#confirm-prior-diagnosis", "#prescribe")
    shoot("consultation-in-progress")
    click_and_wait(browser, "#prescribe", "#prescription-form")
    fill(browser, {"items-0-dose": "500", "items-0-frequency_per_day": "3", "items-0-days_supply": "7",
                   "items-0-quantity": "21"})
    fill(browser, {"items-0-drug_id": "amoxicillin-500mg-cap"})
    find(browser, "#diagnosis-display").click()  # leaving the drug field fires the live check
    wait_for(browser, "#findings p.ok, #findings table.findings")
    shoot("prescription-form-live-findings")
    click_and_wait(browser, "#save-draft", "#sign")
    shoot("prescription-draft")
    click_and_wait(browser, "#sign", ".notice")
    assert "waits for a pharmacist" in find(browser, ".notice").text
    shoot("signed")

    # The pharmacist claims it from the queue, reads the record and approves.
    browser.delete_all_cookies()
    sign_in(browser, live, emails["pharmacist"])
    shoot("review-queue")
    link = wait_for(browser, "table.queue a")
    prescription_id = link.text
    click_and_wait(browser, "table.queue a", "#claim")
    shoot("review-before-claim")
    click_and_wait(browser, "#claim", "#approve")
    assert "Active medication profile" in browser.page_source
    shoot("review-screen")
    fill(browser, {"note": "Finish the whole course."})
    click_and_wait(browser, "#approve", ".notice")
    shoot("review-queue-after-approval")

    # The patient pays (in the app); the pharmacist dispenses from the first-expiring lot and ships.
    order_id, first_lot = paid_order(live, ids["patient"], prescription_id)
    browser.get(live.url + "/pharmacy/orders")
    wait_for(browser, f"a[href$='/pharmacy/orders/{order_id}']")
    shoot("dispensing-queue")
    click_and_wait(browser, f"a[href$='/pharmacy/orders/{order_id}']", "#dispense")
    assert find(browser, ".lot-number").text == first_lot
    shoot("order-to-dispense")
    click_and_wait(browser, "#dispense", "#ship")
    shoot("order-dispensed")
    fill(browser, {"carrier": "SF Express", "tracking_number": "SF1234567890"})
    click_and_wait(browser, "#ship", ".notice")
    shoot("shipped")
    browser.get(live.url + "/pharmacy/lots?lot_number=" + first_lot)
    wait_for(browser, "#look-up")
    assert order_id in browser.page_source
    shoot("recall-look-up")

    # The patient follows it, read-only.
    browser.delete_all_cookies()
    sign_in(browser, live, emails["patient"])
    shoot("patient-consultations")
    for page in ("prescriptions", "orders"):
        browser.get(f"{live.url}/my/{page}")
        wait_for(browser, "h1")
        shoot(f"patient-{page}")
    assert "SF1234567890" in browser.page_source
    click_and_wait(browser, "button[name=lang][value=zh]", "html[lang=zh-CN]")  # the same page, in Chinese
    shoot("patient-orders-zh")


def test_a_form_whose_csrf_token_was_tampered_with_is_refused(live, browser, shoot):
    emails, ids = make_people(live)
    consultation_id = waiting_consultation(live, ids["patient"])
    sign_in(browser, live, emails["doctor"])
    browser.get(f"{live.url}/clinic/consultations/{consultation_id}")
    wait_for(browser, "#accept")
    browser.execute_script("document.querySelectorAll('input[name=csrf_token]').forEach(i => i.value = 'forged')")
    click_and_wait(browser, "#accept", "#refusal")
    assert "The form has expired" in find(browser, "#refusal").text
    shoot("csrf-refused")
    browser.get(f"{live.url}/clinic/consultations/{consultation_id}")
    wait_for(browser, "#accept")  # still waiting: nothing was accepted


def test_a_patient_cannot_open_staff_pages(live, browser, shoot):
    emails, _ = make_people(live)
    sign_in(browser, live, emails["patient"])
    for path in ("/pharmacy/review", "/pharmacy/orders", "/clinic/consultations"):
        browser.get(live.url + path)
        assert "This page is for another role." in wait_for(browser, "#refusal").text
    shoot("patient-refused-staff-page")
    nav = find(browser, "nav").text
    assert "Review queue" not in nav and "My orders" in nav


def test_the_review_screen_works_from_the_keyboard_alone(live, browser, shoot):
    from selenium.webdriver.common.keys import Keys

    emails, ids = make_people(live)
    with live.arrange() as session:
        from core.identity.models import User
        from tests.factories.consult import signed_prescription

        prescription = signed_prescription(session, session.get(User, ids["patient"]), session.get(User, ids["doctor"]))
        prescription_id = prescription.id
    sign_in(browser, live, emails["pharmacist"])

    def tab_to(css, limit=60):
        """Press Tab until the element is focused; fails if it cannot be reached by keyboard."""
        target = find(browser, css)
        for _ in range(limit):
            if browser.switch_to.active_element == target:
                return target
            browser.switch_to.active_element.send_keys(Keys.TAB)
        raise AssertionError(f"{css} is not reachable with Tab")

    find(browser, "body").send_keys(Keys.TAB)
    tab_to(f"a[href$='/pharmacy/review/{prescription_id}']").send_keys(Keys.ENTER)
    wait_for(browser, "#claim")
    tab_to("#claim").send_keys(Keys.ENTER)
    wait_for(browser, "#reject")
    shoot("review-screen-keyboard")
    reason = tab_to("#reason-code")
    reason.send_keys("dose")  # typing picks the option, as in any select
    reason.send_keys(Keys.TAB)
    assert browser.switch_to.active_element == find(browser, "#reject-note")
    browser.switch_to.active_element.send_keys("Please ask your doctor about the dose.")
    tab_to("#reject").send_keys(Keys.ENTER)
    wait_for(browser, ".notice")
    assert "Prescription rejected." in find(browser, ".notice").text
    shoot("rejected-by-keyboard")
