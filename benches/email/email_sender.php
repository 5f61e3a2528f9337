<?php
// Sends N emails to a local SMTP server, one connection per email (twin of
// examples/email_sender.rs), with plain stream sockets.
//
//   php email_sender.php --addr 127.0.0.1:2525 --n 1000 --concurrency 100
//
// --concurrency C forks C worker processes with pcntl_fork (worker k sends the emails i with
// i % C == k); without pcntl, one process sends them all. Each session: EHLO, MAIL FROM,
// RCPT TO, DATA, QUIT, each command waiting for its reply. A worker's exit status is its
// number of failures (capped at 255). Prints what the Rust and Go twins print.

function message(int $i): string {
    $m = "From: sender@localhost\r\nTo: rcpt$i@localhost\r\nSubject: message $i\r\n\r\n";
    for ($line = 0; $line < 14; $line++) {
        $m .= str_repeat(chr(ord('a') + ($i + $line) % 26), 70) . "\r\n";
    }
    return $m;
}

// Reads one (possibly multi-line) reply; throws unless its code is $code.
function expect($s, int $code): void {
    while (true) {
        $line = fgets($s);
        if ($line === false) throw new Exception("connection closed, expected $code");
        if ((int)substr($line, 0, 3) !== $code) throw new Exception("expected $code, got " . rtrim($line));
        if (($line[3] ?? ' ') !== '-') return;
    }
}

function cmd($s, string $line, int $code): void {
    if (fwrite($s, $line) !== strlen($line)) throw new Exception("write failed");
    expect($s, $code);
}

function send_one(string $addr, int $i): void {
    $s = stream_socket_client("tcp://$addr", $errno, $errstr, 30);
    if ($s === false) throw new Exception("connect: $errstr");
    try {
        expect($s, 220);
        cmd($s, "EHLO localhost\r\n", 250);
        cmd($s, "MAIL FROM:<sender@localhost>\r\n", 250);
        cmd($s, "RCPT TO:<rcpt$i@localhost>\r\n", 250);
        cmd($s, "DATA\r\n", 354);
        cmd($s, str_replace("\r\n.", "\r\n..", message($i)) . ".\r\n", 250);
        cmd($s, "QUIT\r\n", 221);
    } finally {
        fclose($s);
    }
}

// Sends emails $k, $k+$step, ... below $n; returns the number that failed.
function work(string $addr, int $n, int $k, int $step): int {
    $failed = 0;
    for ($i = $k; $i < $n; $i += $step) {
        try {
            send_one($addr, $i);
        } catch (Exception $e) {
            fwrite(STDERR, "email $i: " . $e->getMessage() . "\n");
            $failed++;
        }
    }
    return $failed;
}

$o = getopt("", ["addr:", "n:", "concurrency:"]);
$addr = $o["addr"] ?? "127.0.0.1:2525";
$n = (int)($o["n"] ?? 1000);
$conc = $o["concurrency"] ?? "cpu";
$workers = $conc === "cpu" ? (int)trim(shell_exec("nproc")) : max((int)$conc, 1);

$start = hrtime(true);
$failed = 0;
if ($workers > 1 && function_exists("pcntl_fork")) {
    $pids = [];
    for ($k = 0; $k < $workers; $k++) {
        $pid = pcntl_fork();
        if ($pid === -1) die("fork failed\n");
        if ($pid === 0) exit(min(work($addr, $n, $k, $workers), 255));
        $pids[] = $pid;
    }
    foreach ($pids as $pid) {
        pcntl_waitpid($pid, $status);
        $failed += pcntl_wifexited($status) ? pcntl_wexitstatus($status) : 1;
    }
} else {
    $failed = work($addr, $n, 0, 1);
}
$secs = (hrtime(true) - $start) / 1e9;
$sent = $n - $failed;
printf("sent %d emails (%d failed) with concurrency %d\n", $sent, $failed, $workers);
printf("time: %.3f s\n", $secs);
printf("rate: %.1f emails/s\n", $sent / $secs);
exit($failed > 0 ? 1 : 0);
