"""The assistant's part of the shopper's data export and deletion (profiles' signals)."""

from django.dispatch import receiver

from profiles.signals import customer_data_deleting, customer_data_exporting

from . import selectors, services


@receiver(customer_data_exporting, dispatch_uid="assistant_export")
def export_conversations(sender, customer, **kwargs):
    return "assistant_conversations", selectors.conversations_export(customer=customer)


@receiver(customer_data_deleting, dispatch_uid="assistant_delete")
def delete_conversations(sender, customer, **kwargs):
    return services.conversations_delete(customer=customer)
