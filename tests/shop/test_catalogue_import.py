"""`flask import-catalogue FILE.csv`: products and lots from a CSV, every row or none, each bad row reported."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from shop.models import InventoryLot, Product

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "catalogue.csv"
HEADER = "sku,name,drug_id,pack_size,price_amount,currency,lot_number,expiry_date,quantity\n"
GOOD = "IMP-AMX-21,Amoxicillin 500 mg capsules x21,amoxicillin-500mg-cap,21,3500,cny,IMP-L1,2099-06-30,40\n"


@pytest.fixture
def import_csv(app, tmp_path):
    def run(text: str):
        path = tmp_path / "catalogue.csv"
        path.write_text(text, encoding="utf-8")
        return app.test_cli_runner().invoke(args=["import-catalogue", str(path)])
    return run


def counts(session):
    session.expire_all()
    return (session.scalar(select(func.count()).select_from(Product)),
            session.scalar(select(func.count()).select_from(InventoryLot)))


def test_the_example_file_loads_products_and_their_lots(app, session):
    before = counts(session)
    result = app.test_cli_runner().invoke(args=["import-catalogue", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "2 product(s) created, 3 lot(s) received" in result.output
    assert counts(session) == (before[0] + 2, before[1] + 3)
    amoxicillin = session.scalar(select(Product).where(Product.sku == "AMX-500-21"))
    assert (amoxicillin.drug_id, amoxicillin.pack_size, amoxicillin.price_amount) == ("amoxicillin-500mg-cap", 21, 3500)
    lots = session.scalars(select(InventoryLot).where(InventoryLot.product_id == amoxicillin.id)).all()
    assert sorted((lot.lot_number, lot.on_hand) for lot in lots) == [("AMX2701", 40), ("AMX2702", 60)]


def test_one_bad_row_imports_nothing_and_every_bad_row_is_reported(session, import_csv):
    before = counts(session)
    result = import_csv(HEADER + GOOD
                        + "IMP-X,Unknown,no-such-drug,10,100,cny,,,\n"
                        + "IMP-Y,Paracetamol,paracetamol-500mg-tab,0,-5,CNY,L9,2000-01-01,3\n")
    assert result.exit_code == 1
    assert "line 3: drug_id: no-such-drug is not in the formulary" in result.output
    assert "line 4: pack_size: a whole number of units, at least 1." in result.output
    assert "line 4: price_amount:" in result.output and "line 4: currency:" in result.output
    assert "line 4: expiry_date: expired stock cannot be received." in result.output
    assert "2 row(s) refused: nothing was imported." in result.output
    assert "line 2" not in result.output
    assert counts(session) == before  # not even the good row's product


def test_a_lot_number_received_twice_refuses_the_file(session, import_csv):
    before = counts(session)
    result = import_csv(HEADER + GOOD + GOOD)
    assert result.exit_code == 1
    assert "line 3: This lot number was already received for this product." in result.output
    assert counts(session) == before


def test_rows_of_one_sku_must_describe_the_same_product(session, import_csv):
    result = import_csv(HEADER + GOOD + GOOD.replace(",21,3500,", ",21,3600,").replace("IMP-L1", "IMP-L2"))
    assert result.exit_code == 1
    assert "line 3: sku IMP-AMX-21: the product columns differ from line 2." in result.output


def test_a_sku_already_in_the_catalogue_takes_new_lots(session, import_csv):
    assert import_csv(HEADER + GOOD).exit_code == 0
    before = counts(session)
    result = import_csv(HEADER + GOOD.replace("IMP-L1", "IMP-L2"))
    assert result.exit_code == 0, result.output
    assert counts(session) == (before[0], before[1] + 1)


def test_a_file_without_the_product_columns_is_refused(session, import_csv):
    result = import_csv("sku,name\nA,B\n")
    assert result.exit_code == 1
    assert "line 1: Missing column drug_id." in result.output
