package crawl

import "context"

// Run drives e until ctx ends, for a front end without an update loop of
// its own (a script, a server): it starts the first crawl, runs each task
// on a goroutine of its own, hands what they bring back to Handle one at
// a time, and tells sub (which may be nil) every event. The index changes
// only inside Run's loop, so sub, called there, may read it.
func Run(ctx context.Context, e *Engine, sub func(Event)) {
	ins := make(chan Input)
	do := func(o Out) {
		for _, ev := range o.Events {
			if sub != nil {
				sub(ev)
			}
		}
		for _, t := range o.Tasks {
			go func() {
				if in := t(); in != nil {
					select {
					case ins <- in:
					case <-ctx.Done():
					}
				}
			}()
		}
	}
	do(e.Start())
	for {
		select {
		case in := <-ins:
			do(e.Handle(in))
		case <-ctx.Done():
			e.Pause()
			return
		}
	}
}
