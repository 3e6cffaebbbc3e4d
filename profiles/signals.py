"""Signals of profiles: apps above it add their part to a shopper's data.

`customer_data_exporting` is sent by `customer_data_export`; each receiver
returns (section name, JSON-able data) and the export holds one key per
section. `customer_data_deleting` is sent by `behaviour_history_delete`
(before the events go); each receiver deletes its own rows of that customer
and returns how many it deleted."""

from django.dispatch import Signal

customer_data_exporting = Signal()  # sender: None; customer=<Customer>
customer_data_deleting = Signal()  # sender: None; customer=<Customer>
