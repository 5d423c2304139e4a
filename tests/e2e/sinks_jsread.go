// sinks_jsread - the sinks tests' independent JetStream client (Debian's
// nats.go, sharing no code with cellsend): create a stream, read every
// message of a stream back as lines, make a user nkey.
//
//	sinks_jsread addstream URL NAME SUBJECT [MAXMSGS]
//	sinks_jsread update URL NAME SUBJECT MAXMSGS
//	sinks_jsread read URL NAME OUT          (data + LF per message, in stream order)
//	sinks_jsread nkey SEEDFILE              (prints the public key)
//
// $JSREAD_NKEY (a seed file) and $JSREAD_CA (a CA file) authenticate.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

func die(f string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "sinks_jsread: "+f+"\n", a...)
	os.Exit(1)
}

func js(url string) (*nats.Conn, nats.JetStreamContext) {
	opts := []nats.Option{nats.Timeout(3 * time.Second)}
	if f := os.Getenv("JSREAD_NKEY"); f != "" {
		o, err := nats.NkeyOptionFromSeed(f)
		if err != nil {
			die("nkey %s: %v", f, err)
		}
		opts = append(opts, o)
	}
	if f := os.Getenv("JSREAD_CA"); f != "" {
		opts = append(opts, nats.RootCAs(f))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		die("connect %s: %v", url, err)
	}
	j, err := nc.JetStream()
	if err != nil {
		die("jetstream: %v", err)
	}
	return nc, j
}

func main() {
	if len(os.Args) < 3 {
		die("usage")
	}
	switch os.Args[1] {
	case "addstream", "update":
		nc, j := js(os.Args[2])
		defer nc.Close()
		cfg := &nats.StreamConfig{Name: os.Args[3], Subjects: []string{os.Args[4]}, Storage: nats.FileStorage,
			Discard: nats.DiscardNew, Duplicates: 10 * time.Minute}
		if len(os.Args) > 5 {
			n, _ := strconv.Atoi(os.Args[5])
			cfg.MaxMsgs = int64(n)
		}
		var err error
		if os.Args[1] == "addstream" {
			_, err = j.AddStream(cfg)
		} else {
			_, err = j.UpdateStream(cfg)
		}
		if err != nil {
			die("%s: %v", os.Args[1], err)
		}
	case "read":
		nc, j := js(os.Args[2])
		defer nc.Close()
		info, err := j.StreamInfo(os.Args[3])
		if err != nil {
			die("stream info: %v", err)
		}
		f, err := os.Create(os.Args[4])
		if err != nil {
			die("%v", err)
		}
		defer f.Close()
		for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
			m, err := j.GetMsg(os.Args[3], seq)
			if err != nil {
				die("get %d: %v", seq, err)
			}
			f.Write(m.Data)
			f.Write([]byte("\n"))
			if os.Getenv("JSREAD_VERBOSE") != "" {
				fmt.Fprintf(os.Stderr, "%d %s %s\n", seq, m.Subject, m.Header.Get("Nats-Msg-Id"))
			}
		}
	case "nkey":
		kp, err := nkeys.CreateUser()
		if err != nil {
			die("%v", err)
		}
		seed, _ := kp.Seed()
		pub, _ := kp.PublicKey()
		if err := os.WriteFile(os.Args[2], append(seed, '\n'), 0600); err != nil {
			die("%v", err)
		}
		fmt.Println(pub)
	default:
		die("unknown command %s", os.Args[1])
	}
}
