fn main() -> std::process::ExitCode {
    ssc::main()
}
