// Package deadline holds the time limits (期限) of the rules a 派驻机构
// works under as data: rules.json (embedded) names each limit, the event
// that starts it, its period in working days, calendar days or months, and
// its legal basis; an admin adds or overrides rules with files of the same
// shape in a folder. Due computes a due date over the holiday tables of
// package calendar: a date that needs a year without a table is counted
// over weekends only and marked provisional, never an error here (printing
// such a date in a document stays forbidden; package templates refuses it).
//
// It knows nothing of records, HTTP or storage: archive keeps the ledger of
// open deadlines and calls Due when a letter is served.
package deadline
