package config

// parseRightsParams reads and checks dispute_response_days into p.
func parseRightsParams(p *GenesisParams, pj paramsJSON, bad func(field string, err error, format string, args ...any)) {
	p.DisputeResponseDays = pj.DisputeResponseDays
	if p.DisputeResponseDays < 0 || p.DisputeResponseDays > 365 {
		bad("params.dispute_response_days", nil, "%d is outside 0..365 (0: 20 days)", p.DisputeResponseDays)
	}
}
