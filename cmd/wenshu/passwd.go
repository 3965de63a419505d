package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

func init() {
	register("user passwd", command{"set a user's web password (read from stdin, one line)", cmdUserPasswd})
}

// readPassword reads one line from r: the password, without its line end.
// Nothing is echoed or prompted, so it works from a pipe
// (printf '%s\n' "$PW" | wenshu user passwd --name 李华).
func readPassword(r io.Reader) (string, error) {
	if r == nil {
		return "", errors.New("no standard input to read the password from")
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on standard input")
	}
	return line, nil
}

func cmdUserPasswd(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlags("user passwd", e)
	c.storeFlags(fs)
	name := fs.String("name", "", "the user's name")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	pw, err := readPassword(e.stdin)
	if err != nil {
		return err
	}
	a, closeAll, err := c.open(ctx, e, storeOnly)
	if err != nil {
		return err
	}
	defer closeAll()
	ids := a.store.Identity()
	u, err := ids.UserByName(ctx, strings.TrimSpace(*name))
	if err != nil {
		return describe(err)
	}
	if err := ids.SetPassword(ctx, u.ID, pw); err != nil {
		return describe(err)
	}
	fmt.Fprintf(e.stderr, "password set for %s; its browser sessions were ended\n", u.Name)
	return nil
}
