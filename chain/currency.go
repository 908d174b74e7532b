package chain

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// currencyLines are the currency codes entries may carry: the 300 of
// CLDR's currency list that golang.org/x/text v0.43.0 knew (the ISO 4217
// codes of its time, current and withdrawn, and a few others such as CNH)
// and seven ISO 4217 codes that list lacked (MRU, SLE, UYW, VED, VES, XCG,
// ZWG). The list is frozen here, not read from a library, because it
// decides which entries are valid on every replica: a change is a change
// of the protocol. docs/PROTOCOL.md 5.4.1 lists the same codes
// (TestProtocolCurrencyList compares them).
var currencyLines = [...]string{
	"ADP AED AFA AFN ALK ALL AMD ANG AOA AOK AON AOR ARA ARL ARM ARP",
	"ARS ATS AUD AWG AZM AZN BAD BAM BAN BBD BDT BEC BEF BEL BGL BGM",
	"BGN BGO BHD BIF BMD BND BOB BOL BOP BOV BRB BRC BRE BRL BRN BRR",
	"BRZ BSD BTN BUK BWP BYB BYN BYR BZD CAD CDF CHE CHF CHW CLE CLF",
	"CLP CNH CNX CNY COP COU CRC CSD CSK CUC CUP CVE CYP CZK DDM DEM",
	"DJF DKK DOP DZD ECS ECV EEK EGP ERN ESA ESB ESP ETB EUR FIM FJD",
	"FKP FRF GBP GEK GEL GHC GHS GIP GMD GNF GNS GQE GRD GTQ GWE GWP",
	"GYD HKD HNL HRD HRK HTG HUF IDR IEP ILP ILR ILS INR IQD IRR ISJ",
	"ISK ITL JMD JOD JPY KES KGS KHR KMF KPW KRH KRO KRW KWD KYD KZT",
	"LAK LBP LKR LRD LSL LTL LTT LUC LUF LUL LVL LVR LYD MAD MAF MCF",
	"MDC MDL MGA MGF MKD MKN MLF MMK MNT MOP MRO MRU MTL MTP MUR MVP",
	"MVR MWK MXN MXP MXV MYR MZE MZM MZN NAD NGN NIC NIO NLG NOK NPR",
	"NZD OMR PAB PEI PEN PES PGK PHP PKR PLN PLZ PTE PYG QAR RHD ROL",
	"RON RSD RUB RUR RWF SAR SBD SCR SDD SDG SDP SEK SGD SHP SIT SKK",
	"SLE SLL SOS SRD SRG SSP STD STN SUR SVC SYP SZL THB TJR TJS TMM",
	"TMT TND TOP TPE TRL TRY TTD TWD TZS UAH UAK UGS UGX USD USN USS",
	"UYI UYP UYU UYW UZS VEB VED VEF VES VND VNN VUV WST XAF XAG XAU",
	"XBA XBB XBC XBD XCD XCG XDR XEU XFO XFU XOF XPD XPF XPT XRE XSU",
	"XTS XUA XXX YDD YER YUD YUM YUN YUR ZAL ZAR ZMK ZMW ZRN ZRZ ZWD",
	"ZWG ZWL ZWR",
}

var currencies = sync.OnceValue(func() []string {
	var out []string
	for _, l := range currencyLines {
		out = append(out, strings.Fields(l)...)
	}
	return out
})

// Currencies returns the currency codes CheckCurrency accepts, sorted.
func Currencies() []string { return slices.Clone(currencies()) }

// CheckCurrency accepts a currency code of entries: three upper-case ASCII
// letters in Currencies. Query fees of the genesis follow the same rule.
func CheckCurrency(code string) error {
	if len(code) != 3 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' || code[2] < 'A' || code[2] > 'Z' {
		return fmt.Errorf("%q is not a three-letter upper-case ISO 4217 code", code)
	}
	if _, ok := slices.BinarySearch(currencies(), code); !ok {
		return fmt.Errorf("%q is not an ISO 4217 currency", code)
	}
	return nil
}
