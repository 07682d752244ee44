import Testing

@testable import SwiftJK

/// Small rules of what the jk log and httpd's log get.
struct LogPolicyTests {
    @Test(arguments: [(1, true), (2, false), (9, false), (10, true), (11, false), (100, true), (1000, true), (2000, false)] as [(UInt64, Bool)])
    func countedWarningsRepeatAtPowersOfTen(count: UInt64, written: Bool) {
        #expect(WarnAgain.at(count) == written)
    }

    @Test func startupMessagesReachHttpdInASCII() {
        #expect(StartupLog.ascii("sticky_sesion — did you mean sticky_session?") == "sticky_sesion - did you mean sticky_session?")
        #expect(StartupLog.ascii("all members failed → 503") == "all members failed -> 503")
        #expect(StartupLog.ascii("plain") == "plain")
    }
}
