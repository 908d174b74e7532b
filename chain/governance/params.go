package governance

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/credmesh/credmesh/chain"
)

// The parameters a ChangeParam proposal may set, and their values.
const (
	// ParamThreshold is the approvals a proposal needs: a decimal count,
	// "0" for a majority of the members in force.
	ParamThreshold = "approval_threshold"
	// ParamActivationDelay is the least time from a proposal's block to
	// its activation: a Go duration ("24h"), 1s to 2160h.
	ParamActivationDelay = "activation_delay"
	// ParamQueryFee is the credit-query fee: "0" (free) or an amount in
	// minor units and an ISO 4217 code, "200 CNY".
	ParamQueryFee = "query_fee"
)

// ParamNames lists the parameters decisions may change.
var ParamNames = []string{ParamThreshold, ParamActivationDelay, ParamQueryFee}

// ErrParam is wrapped by every error of SetParam.
var ErrParam = errors.New("governance: invalid parameter change")

// MinActivationDelay bounds the activation delay from below: a second.
const MinActivationDelay = time.Second

// SetParam returns p with parameter name set to value.
func SetParam(p Params, name, value string) (Params, error) {
	switch name {
	case ParamThreshold:
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 || n > 1000 || strconv.Itoa(n) != value {
			return p, fmt.Errorf("%w: %s %q is not a count from 0 to 1000", ErrParam, name, value)
		}
		p.Threshold = n
	case ParamActivationDelay:
		d, err := time.ParseDuration(value)
		if err != nil || d < MinActivationDelay || d > chain.MaxActivationDelay {
			return p, fmt.Errorf("%w: %s %q is not a duration from 1s to 2160h", ErrParam, name, value)
		}
		p.ActivationDelay = d
	case ParamQueryFee:
		if value == "0" {
			p.QueryFeeMinor, p.FeeCurrency = 0, ""
			return p, nil
		}
		amount, cur, ok := strings.Cut(value, " ")
		n, err := strconv.ParseUint(amount, 10, 64)
		if !ok || err != nil || n == 0 || n > chain.MaxAmountMinor || strconv.FormatUint(n, 10) != amount {
			return p, fmt.Errorf("%w: %s %q is not \"0\" or \"AMOUNT CUR\" (minor units, ISO 4217)", ErrParam, name, value)
		}
		if err := chain.CheckCurrency(cur); err != nil {
			return p, fmt.Errorf("%w: %s %q: %v", ErrParam, name, value, err)
		}
		p.QueryFeeMinor, p.FeeCurrency = n, cur
	default:
		return p, fmt.Errorf("%w: %q is not one of %s", ErrParam, name, strings.Join(ParamNames, ", "))
	}
	return p, nil
}
