/* SwiftPM needs one source file per C target; the contract is the header. */
