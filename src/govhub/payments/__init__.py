"""E-payment: fee orders, the payment-provider interface with a sandbox provider, refunds and
daily reconciliation."""
