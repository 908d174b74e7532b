package simnet

import "strings"

type bytesBuffer struct{ strings.Builder }
