package audit

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"wenshu/catalog"
)

// trail is what the bucket holds of the audit chain, checked: signed
// checkpoints in sequence order, each with the events of its segment.
type trail struct {
	checkpoints []Checkpoint
	events      map[int64]catalog.ChainedEvent // by seq, from verified segments only
	last        int64                          // highest seq covered by a verified checkpoint, contiguous from 1
	findings    []Finding
}

// objectVersions is one key's versions, oldest first.
type objectVersions struct {
	filed   string // the first version written (the one under lock)
	extra   int    // later versions
	markers int    // delete markers
}

// listTrail lists every key under audit/ with its versions.
func listTrail(ctx context.Context, b Bucket) (map[string]*objectVersions, []string, error) {
	objs := map[string]*objectVersions{}
	var keys []string
	err := b.ListVersions(ctx, Prefix, func(key, versionID string, del bool, _ time.Time) error {
		o := objs[key]
		if o == nil {
			o = &objectVersions{}
			objs[key] = o
			keys = append(keys, key)
		}
		switch {
		case del:
			o.markers++
		case o.filed == "":
			o.filed = versionID
		default:
			o.extra++
		}
		return nil
	})
	sort.Strings(keys)
	return objs, keys, err
}

// loadTrail reads and checks every checkpoint and segment in the bucket.
// Problems are findings (an unreadable bucket is an error).
func loadTrail(ctx context.Context, sink Sink, callTimeout time.Duration) (*trail, error) {
	lctx, cancel := context.WithTimeout(ctx, callTimeout)
	objs, keys, err := listTrail(lctx, sink)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("audit: listing %s: %w", Prefix, err)
	}
	t := &trail{events: map[int64]catalog.ChainedEvent{}}
	for _, k := range keys {
		o := objs[k]
		if o.extra > 0 || o.markers > 0 || o.filed == "" {
			t.add(0, KindBucketTampered, fmt.Sprintf("%s：锁定对象之外另有 %d 个版本、%d 个删除标记", k, o.extra, o.markers))
		}
	}
	var cps []Checkpoint
	for _, k := range keys {
		if !strings.HasSuffix(k, ".json") || objs[k].filed == "" {
			continue
		}
		cp, evs, err := loadCheckpoint(ctx, sink, k, objs, callTimeout)
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			t.add(cp.FirstSeq, KindBadCheckpoint, fmt.Sprintf("%s：%v", k, err))
			continue
		}
		if seq, ok := t.merge(evs); !ok {
			t.add(seq, KindBadCheckpoint, fmt.Sprintf("%s：与另一签名段在事件 %d 处不一致", k, seq))
			continue
		}
		cps = append(cps, cp)
	}
	t.link(cps)
	return t, nil
}

// loadCheckpoint reads the filed version of a checkpoint and its segment
// and checks one against the other.
func loadCheckpoint(ctx context.Context, sink Sink, key string, objs map[string]*objectVersions, callTimeout time.Duration) (Checkpoint, []catalog.ChainedEvent, error) {
	gctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	raw, err := sink.Get(gctx, key, objs[key].filed)
	if err != nil {
		return Checkpoint{}, nil, err
	}
	cp, err := openCheckpoint(raw, sink)
	if err != nil {
		return cp, nil, err
	}
	if cp.SegmentKey != strings.TrimSuffix(key, ".json")+".events" {
		return cp, nil, fmt.Errorf("names segment %s", cp.SegmentKey)
	}
	seg := objs[cp.SegmentKey]
	if seg == nil || seg.filed == "" {
		return cp, nil, fmt.Errorf("segment %s is missing", cp.SegmentKey)
	}
	data, err := sink.Get(gctx, cp.SegmentKey, seg.filed)
	if err != nil {
		return cp, nil, err
	}
	if catalog.HashHex(data) != cp.SegmentSM3 {
		return cp, nil, fmt.Errorf("segment %s: SM3 differs from the signed one", cp.SegmentKey)
	}
	evs, err := parseSegment(data)
	if err != nil {
		return cp, nil, fmt.Errorf("segment %s: %w", cp.SegmentKey, err)
	}
	return cp, evs, checkSegment(cp, evs)
}

// checkSegment checks that the events are first…last, chained, and end in
// the checkpoint's head.
func checkSegment(cp Checkpoint, evs []catalog.ChainedEvent) error {
	if int64(len(evs)) != cp.Count {
		return fmt.Errorf("segment has %d events, checkpoint says %d", len(evs), cp.Count)
	}
	prev := cp.PrevHash
	for i, e := range evs {
		if e.Seq != cp.FirstSeq+int64(i) {
			return fmt.Errorf("segment line %d has seq %d, want %d", i+1, e.Seq, cp.FirstSeq+int64(i))
		}
		if e.PrevHash != prev {
			return fmt.Errorf("segment seq %d does not link to the one before", e.Seq)
		}
		prev = e.Hash
	}
	if prev != cp.HeadHash {
		return fmt.Errorf("segment ends in %s, checkpoint head is %s", prev, cp.HeadHash)
	}
	return nil
}

// merge adds a verified segment's events; an event another signed
// segment holds differently is a conflict (its seq is returned).
func (t *trail) merge(evs []catalog.ChainedEvent) (int64, bool) {
	for _, e := range evs {
		if have, ok := t.events[e.Seq]; ok && have.Hash != e.Hash {
			return e.Seq, false
		}
	}
	for _, e := range evs {
		t.events[e.Seq] = e
	}
	return 0, true
}

// link orders the verified checkpoints and checks that they cover 1…last
// without gaps, each starting at or before the end of the one before (two
// writers may seal overlapping ranges; merge checked they agree).
func (t *trail) link(cps []Checkpoint) {
	sort.Slice(cps, func(i, j int) bool {
		if cps[i].FirstSeq != cps[j].FirstSeq {
			return cps[i].FirstSeq < cps[j].FirstSeq
		}
		return cps[i].Seq < cps[j].Seq
	})
	for _, cp := range cps {
		switch {
		case cp.Seq <= t.last:
			t.checkpoints = append(t.checkpoints, cp)
			continue
		case cp.FirstSeq > t.last+1:
			t.add(t.last+1, KindBucketGap, fmt.Sprintf("桶中检查点不连续：%d 之后是 %d–%d", t.last, cp.FirstSeq, cp.Seq))
			return
		case cp.FirstSeq == t.last+1 && cp.PrevHash != t.headHash():
			t.add(cp.FirstSeq, KindBucketGap, fmt.Sprintf("检查点 %d–%d 未接续前一检查点的链头", cp.FirstSeq, cp.Seq))
			return
		}
		t.checkpoints = append(t.checkpoints, cp)
		t.last = cp.Seq
	}
}

// headHash is the hash of the last contiguously sealed event.
func (t *trail) headHash() string { return t.events[t.last].Hash }

func (t *trail) add(seq int64, kind, detail string) {
	t.findings = append(t.findings, Finding{Seq: seq, Kind: kind, Detail: detail})
}
