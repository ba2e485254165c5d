import Testing
import UMCGSystem

@testable import UMCGTop

@Suite struct AppJSONTests {
    @Test func rendersEscapedCompactJSON() {
        let v: JSONValue = .object([
            ("s", .string("a\"b\\c\n\u{1}é")), ("n", .int(-3)), ("u", .uint(7)), ("d", .double(1.5)),
            ("inf", .double(.infinity)), ("b", .bool(true)), ("z", .null), ("a", .array([.int(1), .array([])])),
        ])
        #expect(v.rendered == #"{"s":"a\"b\\c\n\u0001é","n":-3,"u":7,"d":1.5,"inf":null,"b":true,"z":null,"a":[1,[]]}"#)
    }
}
