-- payment.authorize now itemizes the amount (the order's items and its shipping), and payments
-- declines an amount that is not their sum: a decline of its own, with its own code.
ALTER TABLE payments DROP CONSTRAINT payments_decline_code_check;
ALTER TABLE payments ADD CONSTRAINT payments_decline_code_check CHECK (decline_code IN ('card_declined', 'insufficient_funds', 'provider_unavailable', 'amount_mismatch'));
