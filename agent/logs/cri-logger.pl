#!/usr/bin/perl
# The log driver behind the binary:// log URI (see log-uri.ts).
#
# containerd's shim starts this program with the container's stdout on fd 3, its stderr on fd 4
# and a readiness pipe on fd 5, and passes the URI's query parameters as "key value" argument
# pairs (in no fixed order). Every line the container writes is appended to the file named by
# the "path" parameter, in the CRI log format that kubelet reads:
#
#   2026-11-27T19:29:17.419123000Z stdout F some text
#
# "F" ends a line. "P" is a piece of a line: a line longer than 16 KiB is cut into pieces, and a
# last line without a newline is written as a piece when the stream ends.
#
# The shim keeps its own ends of the pipes open for as long as the task exists, so the streams
# end only when the task is deleted: the shim then closes its ends and sends SIGTERM.
use strict;
use warnings;
use Errno qw(EAGAIN EINTR);
use Fcntl qw(O_APPEND O_CREAT O_WRONLY);
use File::Basename qw(dirname);
use File::Path qw(make_path);
use POSIX qw(strftime);
use Time::HiRes qw(gettimeofday);

use constant MAX_LINE  => 16 * 1024;
use constant READ_SIZE => 64 * 1024;
# After SIGTERM, whatever is still in the pipes is read; a stream that stays silent this long
# is taken as ended, so a writer that never closes cannot keep the logger alive.
use constant DRAIN_IDLE_SECONDS => 0.2;

die "cri-logger: arguments must be key/value pairs\n" if @ARGV % 2;
my %param = @ARGV;
my $path  = $param{path} or die "cri-logger: no path parameter\n";

make_path(dirname($path));
sysopen(my $log, $path, O_WRONLY | O_APPEND | O_CREAT, 0640) or die "cri-logger: $path: $!\n";

my %streams;
for my $spec ([3, 'stdout'], [4, 'stderr']) {
    my ($fd, $name) = @$spec;
    open(my $fh, '<&=', $fd) or next;
    $streams{$fd} = { fh => $fh, name => $name, pending => '' };
}

# Closing the readiness pipe lets the shim start the container.
POSIX::close(5);

my $terminating = 0;
$SIG{TERM} = $SIG{INT} = sub { $terminating = 1 };
$SIG{PIPE} = 'IGNORE';

while (%streams) {
    my $want = '';
    vec($want, $_, 1) = 1 for keys %streams;
    my $ready = select(my $got = $want, undef, undef, $terminating ? DRAIN_IDLE_SECONDS : undef);
    if ($ready < 0) {
        next if $! == EINTR;
        die "cri-logger: select: $!\n";
    }
    if ($ready == 0) {
        finish($_) for keys %streams;
        last;
    }
    for my $fd (keys %streams) {
        next unless vec($got, $fd, 1);
        my $n = sysread($streams{$fd}{fh}, my $chunk, READ_SIZE);
        if (!defined $n) {
            next if $! == EINTR || $! == EAGAIN;
            finish($fd);
        } elsif ($n == 0) {
            finish($fd);
        } else {
            append($streams{$fd}, $chunk);
        }
    }
}
exit 0;

sub timestamp {
    my ($seconds, $micros) = gettimeofday();
    return strftime('%Y-%m-%dT%H:%M:%S', gmtime($seconds)) . sprintf('.%06d000Z', $micros);
}

sub append {
    my ($stream, $data) = @_;
    $stream->{pending} .= $data;
    my $ts  = timestamp();
    my $out = '';
    while (1) {
        my $nl = index($stream->{pending}, "\n");
        if ($nl >= 0 && $nl <= MAX_LINE) {
            my $line = substr($stream->{pending}, 0, $nl + 1, '');
            chop $line;
            $line =~ s/\r\z//;
            $out .= "$ts $stream->{name} F $line\n";
        } elsif (length($stream->{pending}) > MAX_LINE) {
            my $piece = substr($stream->{pending}, 0, MAX_LINE, '');
            $out .= "$ts $stream->{name} P $piece\n";
        } else {
            last;
        }
    }
    write_all($out);
}

sub finish {
    my ($fd) = @_;
    my $stream = delete $streams{$fd};
    close($stream->{fh});
    return unless length $stream->{pending};
    write_all(timestamp() . " $stream->{name} P $stream->{pending}\n");
}

sub write_all {
    my ($data) = @_;
    while (length $data) {
        my $n = syswrite($log, $data);
        if (!defined $n) {
            next if $! == EINTR || $! == EAGAIN;
            die "cri-logger: $path: $!\n";
        }
        substr($data, 0, $n, '');
    }
}
