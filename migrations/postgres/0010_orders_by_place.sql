-- Orders by the meter and the premise they are for: a new reconnect or turn-on looks up the
-- seals the last disconnect or turn-off at its meter installed, and a seal-installing order the
-- seals already used at its premise, without scanning every order of the utility.
CREATE INDEX orders_by_meter ON orders (utility_id, meter_id);
CREATE INDEX orders_by_premise ON orders (utility_id, premise_id);
