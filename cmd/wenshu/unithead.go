package main

import (
	"context"
	"fmt"
	"strings"
)

func init() {
	register("unit set-head", command{"name the unit's head (主要负责人), who signs 谈话方案, 函询通知书 and 建议书", cmdUnitSetHead})
}

// cmdUnitSetHead names an approver of a unit its head: wenshu unit set-head
// --unit 全称 --name 姓名.
func cmdUnitSetHead(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlags("unit set-head", e)
	c.storeFlags(fs)
	unit := fs.String("unit", "", "单位全称")
	name := fs.String("name", "", "姓名 of an approver of that unit")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if strings.TrimSpace(*unit) == "" || strings.TrimSpace(*name) == "" {
		fmt.Fprintln(e.stderr, "usage: wenshu unit set-head --unit 单位全称 --name 姓名")
		return errUsage
	}
	a, closeAll, err := c.open(ctx, e, storeOnly)
	if err != nil {
		return err
	}
	defer closeAll()
	ids := a.store.Identity()
	n, err := ids.UnitByName(ctx, strings.TrimSpace(*unit))
	if err != nil {
		return describe(err)
	}
	u, err := ids.SetUnitHead(ctx, operator(), n.ID, *name)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(e.stdout, "%s is now the head (主要负责人) of %s\n", u.Name, n.Name)
	return nil
}
