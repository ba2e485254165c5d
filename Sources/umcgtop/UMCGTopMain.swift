import UMCGTop

@main
struct UMCGTopMain {
    static func main() async {
        await UMCGTopCommand.main()
    }
}
