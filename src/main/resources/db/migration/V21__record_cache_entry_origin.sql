-- Who stored a shared answer, and when. A reader takes an answer only while it is younger than the
-- reader's own ttl (as an HTTP request's max-age): stored_at is what that age counts from, and
-- fresh_until becomes the latest any reader may take it (a failure's 5 s, an answer's retention).
-- stored_by is the user whose poll made the call: polls show an answer as cached only to that user.
-- Rows stored before this migration have no stored_at: no reader takes them, the next poll asks again.
ALTER TABLE cache_entries ADD COLUMN stored_at TIMESTAMPTZ;
ALTER TABLE cache_entries ADD COLUMN stored_by UUID;
