import Glibc

/// Unpredictable bits from the kernel (/dev/urandom), for the status page's form nonces.
public enum SystemRandom {
    /// 128 random bits; falls back to mixing clock and pid only if /dev/urandom cannot be read.
    public static func pair() -> (UInt64, UInt64) {
        var words: (UInt64, UInt64) = (0, 0)
        let filled = withUnsafeMutableBytes(of: &words) { raw -> Bool in
            guard let base = raw.baseAddress else { return false }
            let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return false }
            defer { _ = close(fd) }
            var done = 0
            var tries = 0
            while done < raw.count && tries < 8 {
                tries += 1
                let count = read(fd, base + done, raw.count - done)
                if count > 0 { done += count } else if count == 0 || errno != EINTR { return false }
            }
            return done == raw.count
        }
        if !filled {
            var spec = timespec()
            clock_gettime(CLOCK_REALTIME, &spec)
            words = (UInt64(bitPattern: Int64(spec.tv_nsec)) &* 0x9E37_79B9_7F4A_7C15, UInt64(getpid()) ^ UInt64(bitPattern: Int64(spec.tv_sec)))
        }
        return words
    }
}
