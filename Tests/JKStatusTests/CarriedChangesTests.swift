import JKBalancer
import JKCore
import Testing

@testable import JKStatus

/// Operator changes carried over a graceful restart, unless workers.properties changed meanwhile.
struct CarriedChangesTests {
    static let now = Timestamp(milliseconds: 1000)

    static func balancer(was1Factor: Int = 1, was1Activation: Activation = .active) -> Balancer {
        Balancer(
            name: "worker1", members: [.init(name: "was1", lbFactor: was1Factor, activation: was1Activation), .init(name: "was2")],
            settings: Balancer.Settings())
    }

    /// Records of `balancer` after an operator set was1 to D, its factor to 4 and the lb's retries to 5.
    static func changed(_ balancer: Balancer) -> [CarriedChange] {
        var runtime = balancer.initialRuntime()
        balancer.setActivation(.disabled, member: 0, runtime: &runtime, now: now)
        balancer.setLBFactor(4, member: 0, runtime: &runtime)
        var record = BalancerRuntime()
        record.settings = balancer.settings.shared
        record.settings.retries = 5
        record.changed = OperatorChange.retries
        return CarriedChanges.collect(balancer, record: record, members: runtime, labels: balancer.initialLabels())
    }

    @Test func changesRoundTripThroughTheFile() {
        let changes = Self.changed(Self.balancer())
        #expect(changes.map(\.field) == ["retries", "activation", "lbfactor"])
        #expect(CarriedChanges.decode(CarriedChanges.encode(changes)) == changes)
    }

    @Test func unchangedSettingsAreAppliedAndEditedOnesWin() {
        let changes = Self.changed(Self.balancer())
        let next = Self.balancer(was1Factor: 2)  // workers.properties now says lbfactor=2 for was1
        var record = BalancerRuntime()
        record.settings = next.settings.shared
        let members = UnsafeMutableBufferPointer<MemberRuntime>.allocate(capacity: 2)
        let labels = UnsafeMutableBufferPointer<MemberLabels>.allocate(capacity: 2)
        defer {
            members.deallocate()
            labels.deallocate()
        }
        _ = members.initialize(from: next.initialRuntime())
        _ = labels.initialize(from: next.initialLabels())
        let lines = CarriedChanges.apply(changes, to: next, record: &record, members: members, labels: labels, now: Self.now)
        #expect(members[0].activation == .disabled)
        #expect(members[0].lbFactor == 2)
        #expect(record.settings.retries == 5)
        #expect(lines.contains { $0.hasPrefix("carried over the restart: member was1 of worker1 activation=DIS") })
        #expect(lines.contains { $0.hasPrefix("not carried over: member was1 of worker1 lbfactor=4") && $0.hasSuffix("workers.properties now says 2") })
    }

    @Test func aMalformedFileIsIgnoredLineByLine() {
        #expect(CarriedChanges.decode("garbage\n\t\t\n# comment\nworker1\twas1\tactivation\tACT\tDIS\n").count == 1)
    }
}

extension CarriedChangesTests {
    /// The file is read at start-up in httpd's parent: absurd numbers are dropped, not trapped on.
    @Test func outOfRangeValuesAreDropped() {
        var settings = AJPSharedSettings()
        #expect(AJPChange.parse(field: "connection_pool_timeout", value: "9223372036854775807") == nil)
        let lines = CarriedChanges.applyAJP(
            [CarriedChange(lb: "", member: "w", field: "connection_pool_timeout", configured: "0", value: "99999999999999")],
            worker: "w", configured: AJPSharedSettings(), to: &settings)
        #expect(lines.isEmpty && settings == AJPSharedSettings())
    }
}
