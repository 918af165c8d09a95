"""The commercial side: catalogue, inventory lots, cart, orders, payments, fulfilment."""
