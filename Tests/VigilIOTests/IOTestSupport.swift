import Foundation
import VigilTestFiles
import XCTest
@testable import VigilIO

/// A temporary directory removed at the end of the test (`TestDirectory` with this target's prefix).
typealias IOTempDir = TestDirectory

extension TestDirectory {
    convenience init() throws { try self.init(prefix: "vigil-io") }
}
