package conf

import "testing"

func TestKeyspaceEventsString(t *testing.T) {
	for _, tc := range []struct{ in, out, text string }{
		{"", "", ""},
		{"KEA", "AKE", "AKE"},
		{"Kg", "gK", "gK"},
		{"E$lshzxetdmn", "$lshzxetdnEm", "$lshzxetdnEm"},
		{"KEAmn", "AKEm", "AKEmn"},
		{"nmEK", "nKEm", "nKEm"},
		{"KAd", "AK", "AK"},
		{"Kg$lshzxetd", "AK", "AK"},
		{"g$lshzxet", "g$lshzxet", "g$lshzxet"},
	} {
		f, err := ParseKeyspaceEvents(tc.in)
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if got := f.String(); got != tc.out {
			t.Errorf("%q: String %q, want %q", tc.in, got, tc.out)
		}
		text, _ := f.MarshalText()
		if string(text) != tc.text {
			t.Errorf("%q: MarshalText %q, want %q", tc.in, text, tc.text)
		}
		var back KeyspaceEvents
		if err := back.UnmarshalText(text); err != nil || back != f {
			t.Errorf("%q: round trip %v %v, want %v", tc.in, back, err, f)
		}
	}
	for _, bad := range []string{"q", "KE ", "k", "a"} {
		if _, err := ParseKeyspaceEvents(bad); err == nil || err.Error() != "Invalid event class character. Use 'Ag$lshzxeKEtmdn'." {
			t.Errorf("%q: err %v", bad, err)
		}
	}
}
