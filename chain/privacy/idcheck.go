package privacy

import (
	"fmt"
	"strings"
	"time"
)

var residentWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const residentCheck = "10X98765432"

// ResidentIDCheck returns the check character that completes the first 17
// digits of a resident ID (ISO 7064 MOD 11-2), or 0 if they are not 17
// digits.
func ResidentIDCheck(first17 string) byte {
	if len(first17) != 17 {
		return 0
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := first17[i]
		if c < '0' || c > '9' {
			return 0
		}
		sum += int(c-'0') * residentWeights[i]
	}
	return residentCheck[sum%11]
}

// checkResidentID checks 17 digits, a valid birth date in characters 7..14,
// and the ISO 7064 MOD 11-2 check character.
func checkResidentID(v string) error {
	if len(v) != 18 {
		return fmt.Errorf("%w: a resident ID has 18 characters, got %d", ErrMalformedID, len(v))
	}
	for i := 0; i < 17; i++ {
		if c := v[i]; c < '0' || c > '9' {
			return fmt.Errorf("%w: resident ID character %d is not a digit", ErrMalformedID, i+1)
		}
	}
	if _, err := time.Parse("20060102", v[6:14]); err != nil {
		return fmt.Errorf("%w: resident ID has no valid birth date", ErrMalformedID)
	}
	if v[17] != ResidentIDCheck(v[:17]) {
		return fmt.Errorf("%w (resident ID)", ErrChecksum)
	}
	return nil
}

const creditCodeChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var creditCodeWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// checkCreditCode checks the 18-character unified social credit code and its
// MOD 31 check character.
func checkCreditCode(v string) error {
	if len(v) != 18 {
		return fmt.Errorf("%w: a credit code has 18 characters, got %d", ErrMalformedID, len(v))
	}
	sum := 0
	for i := 0; i < 17; i++ {
		n := strings.IndexByte(creditCodeChars, v[i])
		if n < 0 {
			return fmt.Errorf("%w: credit code character %d is not allowed", ErrMalformedID, i+1)
		}
		sum += n * creditCodeWeights[i]
	}
	want := (31 - sum%31) % 31
	if v[17] != creditCodeChars[want] {
		return fmt.Errorf("%w (credit code)", ErrChecksum)
	}
	return nil
}

// checkPassport checks "CCC:NUMBER": a three-letter country and 5 to 20
// letters or digits.
func checkPassport(v string) error {
	country, number, ok := strings.Cut(v, ":")
	if !ok || len(country) != 3 || !isAlnum(country, false) {
		return fmt.Errorf("%w: a passport is written CCC:NUMBER with a three-letter country", ErrMalformedID)
	}
	if len(number) < 5 || len(number) > 20 || !isAlnum(number, true) {
		return fmt.Errorf("%w: a passport number has 5 to 20 letters or digits", ErrMalformedID)
	}
	return nil
}

func isAlnum(s string, digits bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || digits && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return true
}
