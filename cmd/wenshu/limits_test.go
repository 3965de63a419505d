package main

import (
	"flag"
	"strings"
	"testing"
)

func TestByteSizeFlag(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		str  string
	}{
		{"65536", 65536, "64KiB"},
		{"64KiB", 64 << 10, "64KiB"},
		{" 50 MiB ", 50 << 20, "50MiB"},
		{"1GiB", 1 << 30, "1GiB"},
		{"1000", 1000, "1000"},
		{"0", 0, "0"},
	} {
		var b byteSize
		if err := b.Set(tc.in); err != nil || int64(b) != tc.want || b.String() != tc.str {
			t.Errorf("Set(%q) = %d %q %v, want %d %q", tc.in, b, b.String(), err, tc.want, tc.str)
		}
	}
	for _, bad := range []string{"", "-1", "10MB", "1.5MiB", "abc", "2000GiB"} {
		var b byteSize
		if err := b.Set(bad); err == nil {
			t.Errorf("Set(%q) = %d, want an error", bad, b)
		}
	}
}

// A limit's environment variable that does not parse is refused with the
// flag and the variable named, like every other setting.
func TestBadLimitEnvRefused(t *testing.T) {
	for _, tc := range []struct{ env, val, flag string }{
		{"WENSHU_IMPORT_LIMIT", "lots", "--import-limit"},
		{"WENSHU_MAX_HEAVY", "two", "--max-heavy"},
		{"WENSHU_HEAVY_WAIT", "soon", "--heavy-wait"},
	} {
		t.Run(tc.env, func(t *testing.T) {
			t.Setenv(tc.env, tc.val)
			var c config
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			c.storeFlags(fs)
			c.addrFlag(fs)
			c.limitFlags(fs)
			err := c.parse(fs, []string{"--data-dir", t.TempDir()})
			if err == nil || !strings.Contains(err.Error(), tc.flag) || !strings.Contains(err.Error(), tc.env) {
				t.Fatalf("%s=%q: %v, want a refusal naming %s and %s", tc.env, tc.val, err, tc.flag, tc.env)
			}
		})
	}
}
