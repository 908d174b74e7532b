package explorer_test

import (
	"encoding/json"
	"reflect"
	"testing"
)

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	var p, q any
	json.Unmarshal(x, &p)
	json.Unmarshal(y, &q)
	return reflect.DeepEqual(p, q)
}
