package daemon

import "testing"

// TestRestoreUnsupportedType checks that a payload of a type Redoubt cannot
// hold (a stream) is refused with an error that says so. Real Redis would
// load it, so this is not a scenario replayed against Redis.
func TestRestoreUnsupportedType(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	a := h.client(1)
	// Type 19 (stream v2) with a valid trailer.
	payload := "\x13\x00\x0a\x00o\x95\xfd\xd7\x09s^\xdb"
	if got := a.reply(t, "RESTORE", "k", "0", payload).String(); got != "(error) ERR Bad data format: the value's type is not supported by Redoubt" {
		t.Fatalf("RESTORE of a stream = %s", got)
	}
	if got := a.reply(t, "EXISTS", "k").String(); got != "(integer) 0" {
		t.Fatalf("EXISTS = %s", got)
	}
}
