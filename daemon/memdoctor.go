package daemon

import "strings"

// memoryDoctorReport is MEMORY DOCTOR's report, Redis's (object.c,
// getMemoryDoctorReport) with its checks made on what Redoubt has. Its
// figures are those of INFO memory: the Go heap's, against Redis's
// allocator's. What Redoubt holds outside the heap, Pebble's block cache
// and memtables, is sized by configuration (block-cache-size,
// memtable-size), so a resident set larger than the heap is no issue to
// report, where Redis flags its total RSS above 1.4 times its data. Nor are
// there scripts to count. Holds mu.
func (s *Server) memoryDoctorReport() string {
	return memoryDoctor(readMemory(), s.clientBuffersLocked())
}

// doctorBuffers are the clients' buffers, replicas apart: what MEMORY
// DOCTOR checks, and MEMORY STATS and INFO memory report as
// clients.normal and clients.slaves.
type doctorBuffers struct {
	clients, clientBytes, replicas, replicaBytes int64
}

// clientBuffersLocked sums, for each client, its output waiting on its
// loop, the part of a command waiting in its input and the arguments a
// blocked client waits with: CLIENT LIST's omem, qbuf and argv-mem
// (reply buffers between commands belong to the loops, which flush them
// without mu). Holds mu.
func (s *Server) clientBuffersLocked() doctorBuffers {
	var b doctorBuffers
	for _, c := range s.clients {
		n := c.obuf.pending.Load() + int64(c.qbuf) + int64(c.argvBytes)
		if c.isReplica() {
			b.replicas++
			b.replicaBytes += n
		} else {
			b.clients++
			b.clientBytes += n
		}
	}
	return b
}

func memoryDoctor(m memorySample, b doctorBuffers) string {
	const mb = 1 << 20
	if m.used < 5*mb {
		return "Hi Sam, this instance is empty or is using very little memory, " +
			"my issues detector can't be used in these conditions. " +
			"Please, leave for your mission on Earth and fill it with some data. " +
			"The new Sam and I will be back to our programming as soon as I " +
			"finished rebooting.\n"
	}
	var issues []string
	if float64(m.peak)/float64(m.used) > 1.5 {
		issues = append(issues, " * Peak memory: In the past this instance used more than 150% the memory that is currently using. "+
			"The Go runtime keeps the heap pages it freed for a while after a peak, so the Resident Set Size (RSS) can stay bigger than expected; "+
			"they will be used again as soon as you fill the instance with more data. "+
			"If the memory peak was only occasional and you want to reclaim memory, please try the MEMORY PURGE command.\n\n")
	}
	if m.active > 0 && float64(m.active)/float64(m.allocated) > 1.1 && m.active-m.allocated > 10*mb {
		issues = append(issues, " * High heap fragmentation: The spans of the Go heap in use are more than 1.1 times the objects they hold. "+
			"This is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or to the "+
			"garbage not yet collected; the next collections return it to the heap.\n\n")
	}
	if m.active > 0 && float64(m.resident)/float64(m.active) > 1.1 && m.resident-m.active > 10*mb {
		issues = append(issues, " * High heap RSS overhead: The Go heap holds more than 1.1 times the memory its spans in use need "+
			"(pages freed but not yet returned to the system). This is usually due to a large peak memory "+
			"(check if there is a peak memory entry above in the report); you can try the MEMORY PURGE command to reclaim it.\n\n")
	}
	if b.replicas > 0 && b.replicaBytes/b.replicas > 10*mb {
		issues = append(issues, " * Big replica buffers: The replica output buffers in this instance are greater than 10MB for each replica (on average). "+
			"This likely means that there is some replica instance that is struggling receiving data, either because it is too slow or because of networking issues. "+
			"As a result, data piles on the master output buffers. Please try to identify what replica is not receiving data correctly and why. "+
			"You can use the INFO output in order to check the replicas delays and the CLIENT LIST command to check the output buffers of each replica.\n\n")
	}
	if b.clients > 0 && b.clientBytes/b.clients > 200<<10 {
		issues = append(issues, " * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). "+
			"This may result from different causes, like Pub/Sub clients subscribed to channels but not receiving data fast enough, "+
			"so that data piles on the instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. "+
			"Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, "+
			"or to understand better why certain clients are using a big amount of memory.\n\n")
	}
	if len(issues) == 0 {
		return "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
	}
	return "Sam, I detected a few issues in this Redoubt instance memory implants:\n\n" +
		strings.Join(issues, "") + "I'm here to keep you safe, Sam. I want to help you.\n"
}
