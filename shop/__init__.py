"""The commercial side: catalog, inventory lots, cart, orders, payments, fulfilment."""
