CREATE TABLE seen (event_id uuid PRIMARY KEY);
