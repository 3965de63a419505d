package main

import (
	"context"
	"fmt"
)

func init() {
	register("keys rotate", command{"make a new SM2 signing key; old public keys stay in the keyring", cmdKeysRotate})
}

// cmdKeysRotate (密钥轮换) makes a new signing key current. Stop the server
// first: the archive refuses while another process uses the data dir.
func cmdKeysRotate(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlags("keys rotate", e)
	c.storeFlags(fs)
	a, closeAll, err := c.parseAndOpen(ctx, e, fs, args, storeOnly)
	if err != nil {
		return err
	}
	defer closeAll()
	old := a.store.KeyID()
	k, err := a.store.RotateKey(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "rotated: key %s signs from %s; key %s is retired (its public key stays in the keyring and in the bucket)\n",
		k.ID, k.ValidFrom.UTC().Format("2006-01-02T15:04:05.000Z"), old)
	return nil
}
