import Testing

@testable import JKStatus

/// Query strings as mod_jk 1.2.48 reads them, and SwiftJK's errors for what it does not take.
struct StatusRequestTests {
    static func parse(_ query: String) -> Result<StatusRequest, StatusError> {
        guard let pairs = FormDecoding.pairs(query) else { return .failure(.badQuery) }
        return StatusRequest.parse(pairs)
    }

    @Test func decodingMasksMarkupAndSkipsNamelessPieces() throws {
        let pairs = try #require(FormDecoding.pairs("vwn=a+b&vwr=%3Cx%3E&vwc=c%26d&foo&=x&q=w%3Fs1"))
        #expect(pairs.map(\.name) == ["vwn", "vwr", "vwc", "q"])
        #expect(pairs.map(\.value) == ["a b", "@x@", "c&d", "w@s1"])
        #expect(FormDecoding.pairs("vwn=%zz") == nil)
        #expect(FormDecoding.pairs("vwn=%4") == nil)
        #expect(FormDecoding.pairs("")?.isEmpty == true)
    }

    @Test func defaultsAreListInHTML() throws {
        let request = try Self.parse("").get()
        #expect(request.command == .list)
        #expect(request.format == .html)
    }

    @Test func theLastRepeatedParameterWins() throws {
        let request = try Self.parse("cmd=bogus&cmd=list&mime=txt&mime=xml&vwf=2&vwf=3").get()
        #expect(request.command == .list)
        #expect(request.format == .xml)
        #expect(request.values.map(\.value) == ["3"])
    }

    @Test(arguments: [
        ("cmd=bogus", StatusError.invalidCommand),
        ("cmd=LIST", .invalidCommand),
        ("cmd=", .invalidCommand),
        ("mime=bogus", .invalidMime),
        ("mime=TXT", .invalidMime),
        ("cmd=show&w=worker1&sw=", .emptyMember),
        ("cmd=show&w=worker1&sw=was*", .wildcardNotAllowed),
        ("cmd=reset&w=worker1&sw=w%3Fs1", .wildcardNotAllowed),
        ("foo=1", StatusError(400, "Unknown parameter 'foo'")),
        ("opt=0x20", StatusError(400, "Invalid opt '0x20': a decimal number (bits of mod_jk's display options)")),
        ("re=abc", StatusError(400, "Invalid re 'abc': refresh seconds, 0 or more")),
    ])
    func unsupportedRequestsAreErrors(query: String, error: StatusError) {
        #expect(Self.parse(query).failure == error)
        #expect(error.status >= 400 && error.status < 500)
    }

    @Test func everyMemberWildcardIsAllowedForUpdate() throws {
        let request = try Self.parse("cmd=update&w=worker1&sw=was*&vwf=2").get()
        #expect(request.member == "was*")
    }

    @Test func optionsAndNavigationAreRead() throws {
        let request = try Self.parse("cmd=show&w=worker1&opt=35&re=5&from=show&psw=was1&nonce=abc").get()
        #expect(request.options.contains(.readOnly))
        #expect(request.options.contains(.noMembers))
        #expect(request.options.contains(.noMaps))
        #expect(request.refresh == 5)
        #expect(request.from == .show)
        #expect(request.nonce == "abc")
    }

    @Test(arguments: [
        ("vwa", "D", MemberChange.activation(.disabled)), ("vwa", "s", .activation(.stopped)), ("vwa", "0", .activation(.active)),
        ("vwf", "5", .lbFactor(5)), ("vwn", "node.a", .route("node.a")), ("vwr", "", .redirect("")), ("vwc", "dom", .domain("dom")),
        ("vwd", "3", .distance(3)),
    ])
    func memberValues(name: String, value: String, change: MemberChange) throws {
        #expect(try StatusUpdate.memberChanges([(name, value)], member: "was1").get() == [change])
    }

    @Test(arguments: [("vwa", "X"), ("vwf", "0"), ("vwf", "abc"), ("vwf", "-3"), ("vwd", "-1"), ("vwn", "a\u{1}b"), ("vlr", "2"), ("vahst", "h")])
    func invalidMemberValuesAreErrors(name: String, value: String) {
        #expect(StatusUpdate.memberChanges([(name, value)], member: "was1").failure?.status == 400)
    }

    @Test func aRouteLongerThanSixtyBytesGetsModJKsMessage() {
        let route = String(repeating: "r", count: 61)
        #expect(
            StatusUpdate.memberChanges([("vwn", route)], member: "was1").failure?.message
                == "Update failed (at least partially): new route '\(route)' too long for sub worker 'was1', see log file for details.")
        #expect((try? StatusUpdate.memberChanges([("vwn", String(route.dropFirst()))], member: "was1").get()) != nil)
    }

    @Test(arguments: [
        ("vlr", "3", LBChange.retries(3)), ("vlt", "30", .recoverTime(seconds: 30)), ("vlee", "0", .errorEscalationTime(seconds: 0)),
        ("vlx", "4", .maxReplyTimeouts(4)), ("vls", "off", .stickySession(false)), ("vls", "Yes", .stickySession(true)),
        ("vlf", "1", .stickySessionForce(true)), ("vlm", "B", .method(.busyness)), ("vlm", "3", .method(.sessions)),
        ("vll", "P", .pessimisticLock(true)),
    ])
    func lbValues(name: String, value: String, change: LBChange) throws {
        #expect(try StatusUpdate.lbChanges([(name, value)]).get() == [change])
    }

    @Test(arguments: [("vlr", "0"), ("vlt", "0"), ("vls", "xyz"), ("vlm", "Z"), ("vll", "X"), ("vwa", "D"), ("vlri", "100"), ("vart", "5")])
    func invalidLBValuesAreErrors(name: String, value: String) {
        #expect(StatusUpdate.lbChanges([(name, value)]).failure?.status == 400)
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

/// The `va*` values: ajp13 settings changed at runtime, and the ones refused with a reason.
struct AJPSettingsUpdateTests {
    @Test(arguments: [
        ("vart", "5000", AJPChange.replyTimeout(5000)), ("vapng", "2000", .pingTimeout(2000)), ("vact", "0", .connectTimeout(0)),
        ("vapt", "1500", .prepostTimeout(1500)), ("vacpt", "300", .connectionPoolTimeout(seconds: 300)),
        ("vacpi", "60", .connectionPingInterval(seconds: 60)), ("var", "3", .retries(3)), ("varo", "4", .recoveryOptions(4)),
        ("vabl", "10", .busyLimit(10)), ("vacpi", "0", .connectionPingInterval(seconds: 0)),
    ])
    func values(name: String, value: String, change: AJPChange) throws {
        #expect(try StatusUpdate.ajpChanges([(name, value)]).get() == [change])
    }

    @Test(arguments: [("vart", "-1"), ("var", "0"), ("varo", "32"), ("vacpi", "-1"), ("vahst", "other"), ("vaprt", "8010"), ("vamps", "16384"), ("vari", "10"), ("vwf", "2")])
    func refused(name: String, value: String) {
        #expect(StatusUpdate.ajpChanges([(name, value)]).failure?.status == 400)
    }

    /// mod_jk's edit form sends host, port, packet size and retry interval with every update:
    /// the values in effect change nothing and pass; another value is still refused.
    @Test func settingsNotChangedAtRuntimeAcceptTheirCurrentValue() throws {
        let fixed = ["vahst": "Tomcat1.example", "vaprt": "8009", "vamps": "8192", "vari": "100"]
        let form = [("vahst", "tomcat1.example"), ("vaprt", "8009"), ("vamps", "8192"), ("vari", "100"), ("vart", "5000")]
        #expect(try StatusUpdate.ajpChanges(form, fixed: fixed).get() == [.replyTimeout(5000)])
        #expect(StatusUpdate.ajpChanges([("vaprt", "8010")], fixed: fixed).failure?.status == 400)
        #expect(try StatusUpdate.lbChanges([("vlri", "100"), ("vlr", "3")], fixed: ["vlri": "100"]).get().count == 1)
        #expect(StatusUpdate.lbChanges([("vlri", "50")], fixed: ["vlri": "100"]).failure?.status == 400)
    }

    @Test func aChangeShowsOldAndNewAndMarksTheField() {
        var settings = AJPSharedSettings()
        settings.replyTimeout = 0
        let shown = AJPChange.replyTimeout(5000).apply(to: &settings)
        #expect(shown?.old == "0" && shown?.new == "5000")
        #expect(settings.changed == AJPChange.replyTimeout(0).bit)
        #expect(AJPChange.replyTimeout(5000).apply(to: &settings) == nil)
    }

    @Test func ajpChangesAreCarriedOverUnlessTheFileChanged() {
        var configured = AJPSharedSettings()
        configured.replyTimeout = 0
        configured.retries = 2
        var current = configured
        _ = AJPChange.replyTimeout(5000).apply(to: &current)
        _ = AJPChange.retries(4).apply(to: &current)
        let saved = CarriedChanges.collectAJP("was1", configured: configured, current: current)
        #expect(saved.map(\.field) == ["reply_timeout", "retries"])
        var edited = configured
        edited.retries = 3   // workers.properties now says retries=3
        var next = edited
        let lines = CarriedChanges.applyAJP(CarriedChanges.decode(CarriedChanges.encode(saved)), worker: "was1", configured: edited, to: &next)
        #expect(next.replyTimeout == 5000)
        #expect(next.retries == 3)
        #expect(lines.count == 2)
    }
}
