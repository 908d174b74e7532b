package api

import (
	"encoding/json"
	"testing"
)

func TestRecordsBodyIsTheRequestJSON(t *testing.T) {
	body := recordsBody([]json.RawMessage{json.RawMessage(`{"type":"payment"}`), json.RawMessage(`{"type":"credit_event"}`)}, `,"publish":true`)
	var req ImportRequest
	if err := json.Unmarshal(body, &req); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	if len(req.Records) != 2 || req.Records[1].Type != "credit_event" || !req.Publish {
		t.Fatalf("%s decodes as %+v", body, req)
	}
	if string(recordsBody(nil, "")) != `{"records":[]}` {
		t.Fatalf("%s", recordsBody(nil, ""))
	}
}
