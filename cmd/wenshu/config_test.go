package main

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// configEnv lists every environment variable config reads.
var configEnv = []string{"WENSHU_DATA_DIR", "WENSHU_S3_ENDPOINT", "WENSHU_S3_ACCESS_KEY", "WENSHU_S3_SECRET_KEY",
	"WENSHU_S3_BUCKET", "WENSHU_S3_SECURE", "WENSHU_PERMANENT_YEARS", "WENSHU_TEMPLATES_DIR", "WENSHU_HOLIDAYS_DIR",
	"WENSHU_DETECT_FONTS", "WENSHU_ADDR"}

// TestConfigValidate: every bad value, from the environment or a flag, is
// refused with a message naming the flag and the variable; good values and
// a flag that overrides a bad variable pass.
func TestConfigValidate(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(tmp, "data")
	type named struct{ flag, env string }
	for _, c := range []struct {
		name string
		env  map[string]string
		args []string
		bad  []named // nil: valid
		want func(*config) bool
	}{
		{name: "defaults", want: func(c *config) bool {
			return c.RetentionYears == 100 && !c.S3Secure && c.Addr == "127.0.0.1:8080" && c.S3Endpoint == "127.0.0.1:9000"
		}},
		{name: "good env", env: map[string]string{"WENSHU_PERMANENT_YEARS": "1000", "WENSHU_S3_SECURE": "true",
			"WENSHU_DETECT_FONTS": "1", "WENSHU_ADDR": ":9090", "WENSHU_DATA_DIR": filepath.Join(data, "not", "yet")},
			want: func(c *config) bool {
				return c.RetentionYears == 1000 && c.S3Secure && c.DetectFonts && c.Addr == ":9090"
			}},
		{name: "one year", args: []string{"--permanent-years", "1"}, want: func(c *config) bool { return c.RetentionYears == 1 }},
		{name: "flag overrides a bad variable", env: map[string]string{"WENSHU_PERMANENT_YEARS": "abc", "WENSHU_S3_SECURE": "yes please"},
			args: []string{"--permanent-years", "50", "--s3-secure=false"},
			want: func(c *config) bool { return c.RetentionYears == 50 && !c.S3Secure }},

		{name: "years not a number", env: map[string]string{"WENSHU_PERMANENT_YEARS": "abc"}, bad: []named{{"permanent-years", "WENSHU_PERMANENT_YEARS"}}},
		{name: "secure not a boolean", env: map[string]string{"WENSHU_S3_SECURE": "yes please"}, bad: []named{{"s3-secure", "WENSHU_S3_SECURE"}}},
		{name: "detect-fonts not a boolean", env: map[string]string{"WENSHU_DETECT_FONTS": "maybe"}, bad: []named{{"detect-fonts", "WENSHU_DETECT_FONTS"}}},
		{name: "years 0 in env", env: map[string]string{"WENSHU_PERMANENT_YEARS": "0"}, bad: []named{{"permanent-years", "WENSHU_PERMANENT_YEARS"}}},
		{name: "years 1001 by flag", args: []string{"--permanent-years", "1001"}, bad: []named{{"permanent-years", "WENSHU_PERMANENT_YEARS"}}},
		{name: "years negative by flag", args: []string{"--permanent-years=-5"}, bad: []named{{"permanent-years", "WENSHU_PERMANENT_YEARS"}}},
		{name: "empty endpoint", args: []string{"--s3-endpoint", ""}, bad: []named{{"s3-endpoint", "WENSHU_S3_ENDPOINT"}}},
		{name: "endpoint with scheme", env: map[string]string{"WENSHU_S3_ENDPOINT": "http://127.0.0.1:9000"}, bad: []named{{"s3-endpoint", "WENSHU_S3_ENDPOINT"}}},
		{name: "empty bucket", args: []string{"--s3-bucket", " "}, bad: []named{{"s3-bucket", "WENSHU_S3_BUCKET"}}},
		{name: "data dir is a file", env: map[string]string{"WENSHU_DATA_DIR": file}, bad: []named{{"data-dir", "WENSHU_DATA_DIR"}}},
		{name: "data dir under a file", args: []string{"--data-dir", filepath.Join(file, "data")}, bad: []named{{"data-dir", "WENSHU_DATA_DIR"}}},
		{name: "empty data dir", args: []string{"--data-dir", ""}, bad: []named{{"data-dir", "WENSHU_DATA_DIR"}}},
		{name: "addr without port", env: map[string]string{"WENSHU_ADDR": "8080"}, bad: []named{{"addr", "WENSHU_ADDR"}}},
		{name: "addr with a named port", args: []string{"--addr", "localhost:http"}, bad: []named{{"addr", "WENSHU_ADDR"}}},
		{name: "port out of range", args: []string{"--addr", "127.0.0.1:70000"}, bad: []named{{"addr", "WENSHU_ADDR"}}},
		{name: "every bad value at once", env: map[string]string{"WENSHU_PERMANENT_YEARS": "abc", "WENSHU_S3_SECURE": "yes please", "WENSHU_ADDR": "nohost"},
			args: []string{"--s3-bucket", ""},
			bad:  []named{{"permanent-years", "WENSHU_PERMANENT_YEARS"}, {"s3-secure", "WENSHU_S3_SECURE"}, {"addr", "WENSHU_ADDR"}, {"s3-bucket", "WENSHU_S3_BUCKET"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, k := range configEnv {
				t.Setenv(k, "")
			}
			t.Setenv("WENSHU_DATA_DIR", data)
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			var cfg config
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			cfg.storeFlags(fs)
			cfg.addrFlag(fs)
			err := cfg.parse(fs, c.args)
			if c.bad == nil {
				if err != nil || !c.want(&cfg) {
					t.Fatalf("err %v, config %+v", err, cfg)
				}
				return
			}
			var ce configError
			if !errors.As(err, &ce) || len(ce) != len(c.bad) {
				t.Fatalf("err %v, want %d problems", err, len(c.bad))
			}
			for _, n := range c.bad {
				if !strings.Contains(err.Error(), "--"+n.flag+" ("+n.env+")") {
					t.Errorf("message %q does not name --%s and %s", err, n.flag, n.env)
				}
			}
		})
	}
	if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Validate created the data directory: %v", err)
	}
}

// TestBadConfigExit2: a command refuses a bad environment value with exit
// status 2 and a message naming flag and variable, before it opens anything.
func TestBadConfigExit2(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	t.Setenv("WENSHU_PERMANENT_YEARS", "abc")
	_, errOut, code := cli(t, "", "unit", "add", "--name", "某单位", "--code", "某纪", "--fonds", "Z1", "--data-dir", data)
	if code != 2 || !strings.Contains(errOut, "--permanent-years (WENSHU_PERMANENT_YEARS)") || !strings.Contains(errOut, `"abc"`) {
		t.Errorf("unit add with WENSHU_PERMANENT_YEARS=abc: exit %d, %q", code, errOut)
	}
	if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused command opened the store: %v", err)
	}
	t.Setenv("WENSHU_DETECT_FONTS", "yes please")
	if _, errOut, code := cli(t, "", "templates"); code != 2 || !strings.Contains(errOut, "--detect-fonts (WENSHU_DETECT_FONTS)") {
		t.Errorf("templates with WENSHU_DETECT_FONTS=yes please: exit %d, %q", code, errOut)
	}
	if _, errOut, code := cli(t, "", "serve", "--addr", "8080", "--data-dir", data, "--permanent-years", "100"); code != 2 || !strings.Contains(errOut, "--addr (WENSHU_ADDR)") {
		t.Errorf("serve --addr 8080: exit %d, %q", code, errOut)
	}
}
