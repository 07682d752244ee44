print("swiftjk")
