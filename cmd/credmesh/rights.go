package main

import "github.com/spf13/cobra"

// rightsCmds are the commands of the subject's rights and the record's
// lifecycle (docs/PROTOCOL.md, "The subject's rights").
func rightsCmds() []*cobra.Command {
	return []*cobra.Command{newCorrectCmd(), newDisputeCmd()}
}
