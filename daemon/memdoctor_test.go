package daemon

import (
	"strings"
	"testing"
)

func TestMemoryDoctor(t *testing.T) {
	const mb = 1 << 20
	healthy := memorySample{used: 40 * mb, allocated: 38 * mb, active: 40 * mb, resident: 42 * mb, rss: 300 * mb, peak: 50 * mb}
	with := func(f func(*memorySample)) memorySample { m := healthy; f(&m); return m }
	for _, tc := range []struct {
		name string
		m    memorySample
		b    doctorBuffers
		want []string // the report's lines that name issues, or its one line
	}{
		{"empty", memorySample{used: 3 * mb, peak: 3 * mb}, doctorBuffers{}, []string{"Hi Sam, this instance is empty"}},
		{"healthy, RSS far above the heap", healthy, doctorBuffers{clients: 10, clientBytes: 10 << 10}, []string{"Hi Sam, I can't find any memory issue"}},
		{"peak", with(func(m *memorySample) { m.peak = 61 * mb }), doctorBuffers{}, []string{" * Peak memory:"}},
		{"heap fragmentation", with(func(m *memorySample) { m.allocated = 20 * mb }), doctorBuffers{}, []string{" * High heap fragmentation:"}},
		{"pages held", with(func(m *memorySample) { m.resident = 60 * mb }), doctorBuffers{}, []string{" * High heap RSS overhead:"}},
		{"replica buffers", healthy, doctorBuffers{clients: 1, replicas: 2, replicaBytes: 30 * mb}, []string{" * Big replica buffers:"}},
		{"client buffers", healthy, doctorBuffers{clients: 4, clientBytes: 4 * mb}, []string{" * Big client buffers:"}},
		{"several", with(func(m *memorySample) { m.peak, m.resident = 100*mb, 60*mb }), doctorBuffers{clients: 1, clientBytes: mb},
			[]string{" * Peak memory:", " * High heap RSS overhead:", " * Big client buffers:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := memoryDoctor(tc.m, tc.b)
			// Each issue's title (" * Peak memory:"), or the one line of
			// a report without issues, cut to what the case names.
			var lines []string
			for _, l := range strings.Split(got, "\n") {
				if title, _, ok := strings.Cut(l, ":"); ok && strings.HasPrefix(l, " * ") {
					lines = append(lines, title+":")
				} else if strings.HasPrefix(l, "Hi Sam") && len(tc.want) == 1 {
					lines = append(lines, l[:min(len(l), len(tc.want[0]))])
				}
			}
			if strings.Join(lines, "|") != strings.Join(tc.want, "|") {
				t.Errorf("report:\n%s\nwant the lines %q", got, tc.want)
			}
			if len(tc.want) > 0 && strings.HasPrefix(tc.want[0], " * ") &&
				(!strings.HasPrefix(got, "Sam, I detected a few issues") || !strings.HasSuffix(got, "I want to help you.\n")) {
				t.Errorf("report not framed as Redis frames one:\n%s", got)
			}
		})
	}
}
