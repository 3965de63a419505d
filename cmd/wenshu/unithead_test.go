package main

import (
	"strings"
	"testing"
)

func TestUnitSetHead(t *testing.T) {
	sa := storeArgs(t, t.TempDir())
	with := func(args ...string) []string { return append(args, sa...) }
	unit := "中共某某省纪委监委驻省财政厅纪检监察组"
	if _, errOut, code := cli(t, "", with("unit", "add", "--name", unit, "--code", "驻财纪", "--fonds", "Z109")...); code != 0 {
		t.Fatalf("unit add: %s", errOut)
	}
	for _, u := range [][2]string{{"刘强", "approver"}, {"李华", "clerk"}} {
		if _, errOut, code := cli(t, "", with("user", "add", "--name", u[0], "--role", u[1], "--unit", unit)...); code != 0 {
			t.Fatalf("user add: %s", errOut)
		}
	}
	if _, errOut, code := cli(t, "", with("unit", "set-head", "--unit", unit, "--name", "李华")...); code != 1 || !strings.Contains(errOut, "head_not_approver") {
		t.Errorf("a clerk as head: %d %s", code, errOut)
	}
	if _, _, code := cli(t, "", with("unit", "set-head", "--unit", unit)...); code != 2 {
		t.Errorf("no --name: exit %d, want 2", code)
	}
	out, errOut, code := cli(t, "", with("unit", "set-head", "--unit", unit, "--name", "刘强")...)
	if code != 0 || !strings.Contains(out, "刘强 is now the head") {
		t.Fatalf("set-head: %d %s %s", code, out, errOut)
	}
}
