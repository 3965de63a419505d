package identity

// Clearance levels (密级), ordered 公开 < 内部 < 秘密 < 机密. The same words
// are used for a user's clearance and a document's classification.
const (
	ClearancePublic       = "公开"
	ClearanceInternal     = "内部"
	ClearanceSecret       = "秘密"
	ClearanceConfidential = "机密"
)

// ClearanceRank returns 0..3 for 公开..机密 and -1 for anything else.
func ClearanceRank(c string) int {
	switch c {
	case ClearancePublic:
		return 0
	case ClearanceInternal:
		return 1
	case ClearanceSecret:
		return 2
	case ClearanceConfidential:
		return 3
	}
	return -1
}
